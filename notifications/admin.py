from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from notifications.models import Notification
from notifications.services import retry_failed


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Recent sends and failures. Failed mail can be tried again."""

    list_display = [
        "created_at",
        "kind",
        "email",
        "period",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["email", "period"]
    readonly_fields = ["last_error"]
    actions = ["retry"]

    @admin.action(description="Try the selected failed mails again")
    def retry(self, request: HttpRequest, queryset) -> None:
        count = sum(retry_failed(pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} mail(s) will be sent again.")
