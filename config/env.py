"""Reading settings from the environment, failing loudly on bad values."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(
                f"Set the environment variable {name} (for local development, "
                "DJANGO_DEBUG=1 is enough; see README)."
            )
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), not {value!r}."
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} must be an integer, not {value!r}."
        ) from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# The settings' fallback secret key: enough for management commands, refused
# by every entry point that serves (web, worker) unless DEBUG is on.
INSECURE_PLACEHOLDER_KEY = "django-insecure-placeholder-set-DJANGO_SECRET_KEY"


def require_real_secret_key() -> None:
    """Called by config/wsgi.py and the Celery worker once Django is set up."""
    from django.conf import settings

    if settings.SECRET_KEY == INSECURE_PLACEHOLDER_KEY and not settings.DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY to a real secret (or DJANGO_DEBUG=1 locally)."
        )
