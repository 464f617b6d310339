from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Cross-cutting helpers every app may import: roles, site time and ISO
    weeks, parameter parsing, the formula neutraliser, UI helpers and template
    tags. No models; imports no other Peerlog app (the lowest layer)."""

    name = "core"
    verbose_name = _("Core")
