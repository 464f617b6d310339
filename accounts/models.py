from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginThrottle(models.Model):
    """Sign-in attempts for one username (AUTH-5), counted before the password
    is checked (AUTH-10), so `failures` includes an attempt in progress. The key
    is the name the sign-in form authenticates (NFKC), case-folded, whether or
    not an account has it, so an unknown name locks exactly like a real one
    (AUTH-6). Deleted on a successful sign-in."""

    username_key = models.CharField(max_length=150, unique=True)
    failures = models.PositiveSmallIntegerField(default=0)
    window_started_at = models.DateTimeField()
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    lock_ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in throttle")

    def __str__(self) -> str:
        return f"{self.username_key}: {self.failures}"
