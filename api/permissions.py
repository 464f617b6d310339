"""Access helpers for the token pages (issue 16): research staff with an
export right (and program admins, who hold one by their role) manage their
own tokens; a token is its owner's only."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from api.models import ApiToken
from exports.models import ExportLevel
from exports.rights import export_level_for


def require_token_right(user) -> str:
    """The user's export level; 403 when it is none (a token can read no more
    than an export, so without an export right there is nothing to give)."""
    granted = export_level_for(user)
    if granted == ExportLevel.NONE:
        raise PermissionDenied(_("API tokens are for people with an export right."))
    return granted


def get_token_for_user(user, pk: int) -> ApiToken:
    """The token if `user` owns it; 404 otherwise, so another person's token
    is not even confirmed to exist."""
    require_token_right(user)
    return get_object_or_404(ApiToken, pk=pk, user=user)
