from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogsAppConfig(AppConfig):
    name = "logs_app"
    verbose_name = _("Interaction logs")

    def ready(self) -> None:
        # Fill notifications' registry (it sits below and never imports us):
        # what logs_app's mails say and who is due (issue 12).
        from logs_app import mail

        mail.kinds_register()
