"""`manage.py check --deploy`: the secrets the web app and the worker refuse to
serve with (config.env.require_real_secret_key) fail the deploy check too, so a
placeholder is caught before anything starts."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from config.env import production_secret_problems


@register(Tags.security, deploy=True)
def check_production_secrets(app_configs=None, **kwargs) -> list[Error]:
    """peerlog.E001: DJANGO_SECRET_KEY or PEERLOG_EXPORT_KEY is missing, a
    known placeholder, too weak, or the two are the same."""
    return [
        Error(problem, id="peerlog.E001")
        for problem in production_secret_problems(settings)
    ]
