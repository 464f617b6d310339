from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    """Running a program on Peerlog's own pages (issue 17): enrolment imports,
    participants' status and consent, invitations."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "programs"
    verbose_name = _("Program administration")

    def ready(self) -> None:
        # The outbox (below this app) renders invitation mail with what is
        # registered here; imported here, as they need the app registry.
        from notifications.kinds import Kind, kind_register
        from notifications.models import Notification
        from programs.invitations import mail_context, mail_still_wanted

        kind_register(
            Kind(
                Notification.Kind.INVITATION,
                context=mail_context,
                is_still_wanted=mail_still_wanted,
            )
        )
