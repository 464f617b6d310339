from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The read API (issue 16): personal access tokens and the endpoints that
    serve research staff exactly what the export would, under the export's
    rules. Above analysis (it serves the final codes) and exports (it reuses
    the export's filters, rights, pseudonyms and rows)."""

    name = "api"
    verbose_name = _("Read API")
