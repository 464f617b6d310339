from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo program (`manage.py seed_demo`): it seeds every app, down to the
    export rights, so it sits above them all and nothing imports it."""

    name = "demo"
    verbose_name = _("Demo program")
