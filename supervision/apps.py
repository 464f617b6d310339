from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """Supervision as one workspace (issue 14): follow-up items for every safety
    flag, concern and request to talk, supervision meetings with their agreed
    actions, and the agenda that carries both until they are done. Above
    logs_app: it reads logs; logs_app reaches it only through the hooks it
    fills in `ready()`."""

    name = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        # The follow-up items on the log pages (logs_app cannot import us).
        from supervision.panels import panels_register

        panels_register()
