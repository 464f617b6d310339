"""Reads for the token pages (issue 16)."""

from django.db.models import Prefetch, QuerySet

from api.models import ApiToken
from participants.models import Site


def token_list(*, user) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, with their sites' names (two
    queries whatever their number)."""
    return ApiToken.objects.filter(user=user).prefetch_related(
        Prefetch("sites", queryset=Site.objects.order_by("name").only("pk", "name"))
    )
