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

# Django's own rule for a usable key (check security.W009).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
# The pseudonym key (EXP-4) is an HMAC key: 32 characters from
# secrets.token_urlsafe are already 190 bits.
EXPORT_KEY_MIN_LENGTH = 32
# Words that mark a value copied from documentation or an example file rather
# than generated: compared without case or punctuation, so "change-me-in-.env"
# and "CHANGE_ME" both match. A generated key never spells them.
PLACEHOLDER_MARKERS = (
    "changeme",
    "changethis",
    "replaceme",
    "insecure",
    "placeholder",
    "example",
    "notasecret",
    "notarealsecret",
    "dummy",
)
# Values published in this repository's own settings, compose file and docs.
PUBLIC_VALUES = frozenset(
    {
        INSECURE_PLACEHOLDER_KEY,
        "change-me-in-.env",
        "change-me-in-.env-export-key",
        "test-only-secret-key-not-used-anywhere-else-0123456789",
    }
)


def secret_problem(value: str, *, name: str, min_length: int) -> str | None:
    """Why `value` cannot serve as the secret `name` in production, or None."""
    if not value:
        return f"Set {name} to a real secret (or DJANGO_DEBUG=1 locally)."
    squashed = "".join(ch for ch in value.lower() if ch.isalnum())
    if value in PUBLIC_VALUES or any(m in squashed for m in PLACEHOLDER_MARKERS):
        return (
            f"{name} is a placeholder from an example; set {name} to a real "
            "secret, e.g. python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'."
        )
    if len(value) < min_length or len(set(value)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (
            f"{name} is too weak: use at least {min_length} random characters "
            f"(at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones)."
        )
    return None


def production_secret_problems(settings) -> list[str]:
    """What is wrong with the secrets for serving without DEBUG (CFG-1, EXP-4):
    a real DJANGO_SECRET_KEY, and a separate real PEERLOG_EXPORT_KEY, so that
    pseudonyms neither come from a public value nor change with the secret."""
    secret = settings.SECRET_KEY
    if secret == INSECURE_PLACEHOLDER_KEY:
        secret = ""  # not set at all: say so
    problems = [
        secret_problem(
            secret, name="DJANGO_SECRET_KEY", min_length=SECRET_KEY_MIN_LENGTH
        ),
        secret_problem(
            settings.PEERLOG_EXPORT_KEY,
            name="PEERLOG_EXPORT_KEY",
            min_length=EXPORT_KEY_MIN_LENGTH,
        ),
    ]
    if settings.PEERLOG_EXPORT_KEY and secret == settings.PEERLOG_EXPORT_KEY:
        problems.append(
            "PEERLOG_EXPORT_KEY must differ from DJANGO_SECRET_KEY: rotating the "
            "secret key must not change every pseudonym."
        )
    return [problem for problem in problems if problem]


def require_real_secret_key() -> None:
    """Called by config/wsgi.py (gunicorn, runserver) and the Celery worker once
    Django is set up: without DEBUG, refuse to serve with a missing, placeholder
    or weak secret key or export key. Management commands never call it."""
    from django.conf import settings

    if settings.DEBUG:
        return
    problems = production_secret_problems(settings)
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
