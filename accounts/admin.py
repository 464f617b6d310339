"""Users in the admin: deactivating someone ends their sessions (AUTH-9)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import LoginThrottle
from accounts.services import user_deactivate, user_sessions_end
from audit.services import audit_record

admin.site.unregister(User)


def _audit_deactivated(request, user: User, *, ended: int) -> None:
    """Both ways of deactivating a user in the admin audit it alike."""
    audit_record(
        request=request,
        action="auth.user.deactivated",
        obj=user,
        details={"sessions_ended": ended},
    )


@admin.register(User)
class PeerlogUserAdmin(UserAdmin):
    actions = ["deactivate_and_sign_out"]

    def save_related(self, request, form, formsets, change) -> None:
        # Roles are groups: a membership change is a rights change (AUD-1).
        user = form.instance
        before = set(user.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(user.groups.values_list("name", flat=True))
        if before != after:
            audit_record(
                request=request,
                action="rights.groups",
                obj=user,
                details={"groups": [sorted(before), sorted(after)]},
            )

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            _audit_deactivated(request, obj, ended=user_sessions_end(user=obj))

    @admin.action(description=_("Deactivate and sign out everywhere"))
    def deactivate_and_sign_out(self, request, queryset) -> None:
        users = list(queryset.exclude(pk=request.user.pk))
        for user in users:
            _audit_deactivated(request, user, ended=user_deactivate(user=user))
        self.message_user(
            request,
            ngettext(
                "%(count)d user deactivated and signed out.",
                "%(count)d users deactivated and signed out.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Locked names; deleting a row unlocks that name at once."""

    list_display = ["username_key", "failures", "lock_ends_at", "last_ip"]
    search_fields = ["username_key"]
    readonly_fields = [
        "username_key",
        "failures",
        "window_started_at",
        "last_failed_at",
        "last_ip",
        "lock_ends_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False
