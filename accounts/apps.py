from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Sign-in security")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import checks  # noqa: F401 (registers the deploy check)
        from accounts.sessions import session_stamp_login

        # Every way of signing in (the login view, the tests' force_login, a
        # future SSO backend) goes through django.contrib.auth.login(), which
        # sends this signal: the one place where a new session gets its clocks.
        user_logged_in.connect(session_stamp_login, dispatch_uid="peerlog-session")
