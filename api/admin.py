"""API tokens in the admin (issue 16): listed and revoked, never made or
edited here (a secret is shown once, to its owner), and the hash is never
shown. Both revoke actions go through api.tokens, which audits them."""

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.models import ApiToken
from api.tokens import token_revoke, tokens_revoke_all


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "name",
        "shown_prefix",
        "level",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["level", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    fields = [
        "user",
        "name",
        "shown_prefix",
        "level",
        "sites",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields
    actions = ["revoke", "revoke_all_of_owners"]

    @admin.display(description=_("token"), ordering="prefix")
    def shown_prefix(self, token: ApiToken) -> str:
        return f"plg_{token.prefix}_…"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoke instead: a deleted row would take its history with it.
        return False

    @admin.action(description=_("Revoke"))
    def revoke(self, request, queryset) -> None:
        count = sum(
            token_revoke(actor=request.user, token=token)
            for token in queryset.select_related("user")
        )
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke all tokens of these users"))
    def revoke_all_of_owners(self, request, queryset) -> None:
        owners = User.objects.filter(
            pk__in=queryset.values_list("user_id", flat=True)
        ).order_by("pk")
        count = sum(
            tokens_revoke_all(actor=request.user, user=owner) for owner in owners
        )
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
