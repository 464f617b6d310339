from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogsAppConfig(AppConfig):
    name = "logs_app"
    verbose_name = _("Interaction logs")

    def ready(self) -> None:
        # Fill notifications' registries (it sits below and never imports us):
        # what logs_app's mails say and who is due, and the export jobs the
        # dispatcher hands over on each beat tick (issue 12).
        from logs_app import export_jobs, mail
        from notifications.tasks import DispatchStep, dispatch_step_register

        mail.kinds_register()
        dispatch_step_register(
            DispatchStep(
                name="exports",
                label="export jobs",
                run=export_jobs.dispatch_pending_exports,
            )
        )
