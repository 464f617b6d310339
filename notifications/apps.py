from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """The mail outbox: rows, preferences, schedules, claim and send, the
    dispatcher and its tasks. Imports core, audit, participants and mentors;
    what each kind of mail says comes from the apps above through
    `notifications.kinds` (filled in their AppConfig.ready())."""

    name = "notifications"
    verbose_name = _("Notifications")
