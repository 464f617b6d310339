from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from core.roles import Role, user_roles


class PeerlogAdminSite(admin.AdminSite):
    """The Django admin is for program admins only, behind two-step sign-in
    (AZ-12)."""

    site_header = "Peerlog administration"
    site_title = "Peerlog admin"
    index_title = "Program setup"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff and Role.ADMIN in user_roles(user)):
            return False
        if settings.PEERLOG_2FA_REQUIRED:
            # django-otp's OTPMiddleware installs is_verified() on the user.
            return bool(getattr(user, "is_verified", lambda: False)())
        return True

    @login_not_required
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # One sign-in page for everyone: the lockout, the audit trail and the
        # two-step check live there, so the admin cannot be a way around them.
        target = request.GET.get("next") or reverse(
            "admin:index", current_app=self.name
        )
        return redirect_to_login(target, reverse("login"))
