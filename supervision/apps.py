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
        # Fill the registries of the layers below (they never import us):
        # filing a log makes its follow-up items, the digest counts them, and
        # the one beat dispatcher escalates overdue ones by mail.
        # Imported here: these modules import models, which need the app
        # registry ready.
        from logs_app.hooks import digest_counts_register, filed_register
        from notifications.kinds import kind_register
        from notifications.tasks import DispatchStep, dispatch_step_register
        from supervision.escalation import followups_escalate, overdue_kind
        from supervision.items import digest_counts, items_sync_for_log
        from supervision.panels import panels_register

        filed_register(items_sync_for_log)
        digest_counts_register(digest_counts)
        kind_register(overdue_kind())
        dispatch_step_register(
            DispatchStep(
                name="followups",
                label="follow-ups escalated",
                run=followups_escalate,
            )
        )
        panels_register()  # the follow-up items on the log pages
