"""Test settings: the base settings with fast hashing and in-memory mail.
DATABASE_URL and CELERY_BROKER_URL from the environment still apply, so the
same suite runs on SQLite and on the real stack (.ci/run)."""

import os
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789"
)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from .base import *  # noqa: E402,F403

# The suite runs with DEBUG off, where commands refuse to key pseudonyms on
# anything but a real export key (EXP-4). A setting, not an environment
# variable, so processes the tests start get only what they are given.
PEERLOG_EXPORT_KEY = PEERLOG_EXPORT_KEY or "test-only-export-key-0123456789abcdef"  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Two-step sign-in is off for the suite's fixed cast, which signs in with a
# password only; tests/accounts turns it on with the `settings` fixture, and
# PEERLOG_TEST_2FA=1 runs everything with it on. Production defaults to True.
PEERLOG_2FA_REQUIRED = env_bool("PEERLOG_TEST_2FA", False)  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
# Audit, history and revision tables refuse TRUNCATE on PostgreSQL (AUD-3);
# Django's flush between transactional tests truncates every table, so test
# connections (only) ask for that door. It opens only because the test role is
# a member of peerlog_history_admin (AUD-6; .ci/run step c grants it, README
# "Audit trail"). Tests that prove the refusal close it.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (  # noqa: F405
        "-c peerlog.allow_truncate=on"
    )
# Serve static files straight from the finders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The live server for browser tests answers from its own thread: an in-memory
# SQLite database shared across threads breaks under concurrent requests (an
# autosave in flight while the form is submitted), so tests use a file.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # One file per test process, so parallel runs do not share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(
            tempfile.gettempdir(), f"peerlog-test-{os.getpid()}.sqlite3"
        )
    }

# Export files go to a throwaway directory per test process.
PEERLOG_EXPORT_DIR = os.path.join(
    tempfile.gettempdir(), f"peerlog-exports-{os.getpid()}"
)
