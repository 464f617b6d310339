from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    """Running a program on Peerlog's own pages (issue 17): enrolment imports
    first; invitations, assignments and the protocol's dose build on it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "programs"
    verbose_name = _("Program administration")
