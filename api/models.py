"""Personal access tokens for the read API (issue 16).

A token is `plg_<prefix>_<secret>`: the prefix (public, shown in lists and
audit rows) finds the row; the secret is 32 random bytes kept only as its
SHA-256 (a fast hash is right for a high-entropy random secret; it is never
a password). A token is scoped to an export level no higher than its
owner's export right and to some of the owner's sites, expires within 90
days, and is revoked by its owner or an admin."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from exports.models import ExportLevel
from participants.models import Site

MAX_DAYS = 90


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    level = models.CharField(
        _("level"),
        max_length=8,
        choices=[c for c in ExportLevel.choices if c[0] != ExportLevel.NONE],
    )
    sites = models.ManyToManyField(Site, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} (plg_{self.prefix}_…)"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return None, None
