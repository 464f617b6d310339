"""The four roles. A role is a Django group; admins may also be superusers.

This module sits in the lowest app so every app can ask "what is this user?"
without importing upward."""

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser


class Role(StrEnum):
    MENTOR = "mentor"
    SUPERVISOR = "supervisor"
    RESEARCH = "research"
    ADMIN = "admin"


def user_roles(user) -> frozenset[Role]:
    """The roles of `user`, cached on the user object for the request."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return frozenset()
    if not user.is_active:
        return frozenset()
    cached = getattr(user, "_peerlog_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._peerlog_roles = cached
    return cached


def has_role(user, role: Role) -> bool:
    return role in user_roles(user)
