from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    """Reflection analysis in the app (issue 15): screening, a versioned
    codebook, blind double coding, agreement, consensus, themes and quotes,
    and REFI-QDA and CSV exports. Above exports: it reads logs, participants
    and mentors, and names people by the export's keyed pseudonyms."""

    name = "analysis"
    verbose_name = _("Reflection analysis")
