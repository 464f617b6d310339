from django.contrib import admin
from django.http import HttpRequest

from participants.roles import Role, user_roles


class PeerlogAdminSite(admin.AdminSite):
    """The Django admin is for program admins only (AZ-12)."""

    site_header = "Peerlog administration"
    site_title = "Peerlog admin"
    index_title = "Program setup"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and Role.ADMIN in user_roles(user))
