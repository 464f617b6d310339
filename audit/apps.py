from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _triggers_reinstall(sender, using: str = "default", **kwargs) -> None:
    # SQLite drops a table's triggers when a migration rebuilds the table, so
    # the history triggers (AUD-2) are put back after every migrate.
    from audit.triggers import triggers_install

    triggers_install(using)


class AuditConfig(AppConfig):
    """The audit trail: events, the database's row history and its triggers,
    the request context, `audit_record` and the viewer. Imports only core."""

    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        post_migrate.connect(
            _triggers_reinstall, sender=self, dispatch_uid="peerlog_triggers"
        )
