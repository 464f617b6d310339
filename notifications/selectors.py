"""Reads about who receives which mail."""

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from core.roles import Role
from notifications.models import NotificationPreference


def digest_recipients() -> QuerySet:
    """Who receives a digest, for every path that writes or sends one (the
    schedule, `send_digests`, the send itself): active people with an address
    who supervise or lead a site and have not turned the digest off. Each
    carries `digest_frequency` (weekly when they never chose).

    The one decider, here because all it reads (people, roles, site leads,
    preferences) sits in this layer or below; the digest's content is
    logs_app's (logs_app.digest)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(groups__name=Role.SUPERVISOR.value) | Q(led_sites__isnull=False))
        .exclude(mail_preference__digest=NotificationPreference.DigestFrequency.OFF)
        .annotate(
            digest_frequency=Coalesce(
                F("mail_preference__digest"),
                Value(NotificationPreference.DigestFrequency.WEEKLY),
            )
        )
        .distinct()
    )
