"""Django's account URLs (same names, so {% url 'login' %} keeps working), with
our sign-in and sign-out in front of them, plus two-step sign-in and the
session keep-alive."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    # No post_reset_login: a new password still needs the code (AUTH-4).
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("security/", views.account_security, name="account_security"),
    path("two-factor/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", views.two_factor_enrol, name="two_factor_enrol"),
    path(
        "two-factor/backup-codes/",
        views.backup_codes_regenerate,
        name="backup_codes_regenerate",
    ),
    path("session/", views.session_keepalive, name="session_keepalive"),
]
