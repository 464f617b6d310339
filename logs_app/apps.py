from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _triggers_reinstall(sender, using: str = "default", **kwargs) -> None:
    # SQLite drops a table's triggers when a migration rebuilds the table, so
    # the history triggers (AUD-2) are put back after every migrate.
    from logs_app.audit import triggers_install

    triggers_install(using)


class LogsAppConfig(AppConfig):
    name = "logs_app"
    verbose_name = _("Interaction logs")

    def ready(self) -> None:
        post_migrate.connect(
            _triggers_reinstall, sender=self, dispatch_uid="peerlog_triggers"
        )
