from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.dispatch import sweep_register


class ExportsConfig(AppConfig):
    """The research export: rights, rows, writers, jobs and their pages. The top
    layer: it reads logs_app and everything below it; nothing imports it."""

    name = "exports"
    verbose_name = _("Research export")

    def ready(self) -> None:
        # The one beat dispatcher (below this app) also hands export jobs to
        # the workers: it calls what is registered here (dependency inversion).
        # Imported here: tasks import models, which need the app registry ready.
        from exports.tasks import dispatch_pending_exports

        sweep_register("exports", dispatch_pending_exports)
