"""Tokens for the API tests: research staff with an export right, and a
client call that sends the token as the API wants it."""

from django.utils import timezone

from api.tokens import token_create
from core.roles import Role
from exports.models import ExportRight
from tests.factories import UserFactory


def researcher(username: str, *sites, level: str = "coded", user=None):
    """Research staff at `sites` with an export right at `level`."""
    user = user or UserFactory(username=username, roles=[Role.RESEARCH], sites=sites)
    ExportRight.objects.update_or_create(
        user=user, defaults={"level": level, "granted_at": timezone.now()}
    )
    return user


def token_for(user, *sites, level: str = "coded") -> str:
    """A live 30-day token of `user` for `sites` at `level`: its secret."""
    created = token_create(
        user=user,
        name="test",
        level=level,
        site_ids=[site.pk for site in sites],
        days=30,
    )
    return created.plain


def get(client, url: str, token: str, **params):
    return client.get(url, params, HTTP_AUTHORIZATION=f"Bearer {token}")
