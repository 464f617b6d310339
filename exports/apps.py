from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    """The research export: rights, rows, writers, jobs and their pages. The top
    layer: it reads logs_app and everything below it; nothing imports it."""

    name = "exports"
    verbose_name = _("Research export")

    def ready(self) -> None:
        # The one beat dispatcher (below this app) also hands export jobs to
        # the workers: it calls what is registered here (dependency inversion);
        # export-ready mail says only what its row holds (the base context).
        # Imported here: tasks import models, which need the app registry ready.
        from exports.tasks import dispatch_pending_exports
        from notifications.kinds import Kind, kind_register
        from notifications.models import Notification
        from notifications.tasks import DispatchStep, dispatch_step_register

        dispatch_step_register(
            DispatchStep(
                name="exports", label="export jobs", run=dispatch_pending_exports
            )
        )
        kind_register(Kind(Notification.Kind.EXPORT_READY))
