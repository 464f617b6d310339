"""Peerlog settings. Everything comes from the environment; the defaults are the
embedded stack (SQLite, eager Celery, console e-mail) used by the quickstart.
Production differs only by environment variables (see README, "Real stack")."""

from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import INSECURE_PLACEHOLDER_KEY, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
# Without DJANGO_SECRET_KEY (unset or empty, as docker-compose.yml passes it when
# .env lacks it), management commands (migrate, makemigrations, shell) still
# work, but nothing serves with this key: config/wsgi.py and the Celery worker
# refuse to start, and `check --deploy` flags it (security.W009).
INSECURE_SECRET_KEY = INSECURE_PLACEHOLDER_KEY
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "") or INSECURE_SECRET_KEY

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.apps.PeerlogAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "audit",
    "participants",
    "mentors",
    "notifications",
    "logs_app",
    "supervision",
    "programs",
    "exports",
    "analysis",
    "ninja",
    "api",
    "demo",
    "accounts",
]

MIDDLEWARE = [
    # A request id on every audit row and response (AUD-1); wraps everything.
    "audit.middleware.RequestIDMiddleware",
    # First, so that everything after it sees the real client in REMOTE_ADDR.
    "accounts.middleware.ClientIPMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The read API takes tokens, never cookies (issue 16).
    "api.middleware.ApiNoCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.AuditDenialMiddleware",
]

ROOT_URLCONF = "config.urls"
# Requests per token (issue 16): "<n>/<s|m|h|d>"; over it, 429 with Retry-After.
PEERLOG_API_RATE = env_str("PEERLOG_API_RATE", "120/m")
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mentors.context_processors.roles",
                "accounts.context_processors.session_timeout",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# DATABASE_URL (postgres://...) or POSTGRES_* switch to PostgreSQL; SQLite otherwise.
CONN_MAX_AGE = env_int("DJANGO_CONN_MAX_AGE", 60)
_database_url = env_str("DATABASE_URL", "")
if not _database_url and env_str("POSTGRES_DB", ""):
    _database_url = "postgres://{user}:{password}@{host}:{port}/{db}".format(
        user=env_str("POSTGRES_USER", "peerlog"),
        password=env_str("POSTGRES_PASSWORD", ""),
        host=env_str("POSTGRES_HOST", "localhost"),
        port=env_str("POSTGRES_PORT", "5432"),
        db=env_str("POSTGRES_DB"),
    )
if _database_url:
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "config.auth.AdminRoleBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Two-step sign-in (AUTH-4): TOTP required for supervisors, research staff and
# admins, optional for mentors. Off only in the test settings (see test.py).
PEERLOG_2FA_REQUIRED = env_bool("PEERLOG_2FA_REQUIRED", True)
OTP_TOTP_ISSUER = env_str("PEERLOG_OTP_ISSUER", "Peerlog")
# Lockout (AUTH-5): this many failures for one username lock it for this long.
PEERLOG_LOCKOUT_FAILURES = env_int("PEERLOG_LOCKOUT_FAILURES", 5)
PEERLOG_LOCKOUT_SECONDS = env_int("PEERLOG_LOCKOUT_SECONDS", 15 * 60)
# How many reverse proxies we run in front of the app, each appending to
# X-Forwarded-For. 0: the client is REMOTE_ADDR and the header is ignored.
PEERLOG_TRUSTED_PROXY_COUNT = env_int("PEERLOG_TRUSTED_PROXY_COUNT", 0)

# --- Sessions and cookies -------------------------------------------------------
# In the database (SES-7): a Redis outage signs no one out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# SES-1/2: 30 minutes idle, 12 hours absolute (accounts.middleware enforces
# both; the cookie age is the absolute limit), warned 2 minutes before.
PEERLOG_SESSION_IDLE_SECONDS = env_int("PEERLOG_SESSION_IDLE_SECONDS", 30 * 60)
PEERLOG_SESSION_ABSOLUTE_SECONDS = env_int(
    "PEERLOG_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60
)
PEERLOG_SESSION_WARNING_SECONDS = env_int("PEERLOG_SESSION_WARNING_SECONDS", 2 * 60)
SESSION_COOKIE_AGE = PEERLOG_SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
_secure = not DEBUG
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", _secure)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", _secure)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", _secure)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("PEERLOG_SECURE_PROXY", False):
    # Only behind a proxy that sets this header and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (Bootstrap comes from the xstatic-bootstrap package) -----------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds each SMTP step may take. A safety alert being sent is leased to its
# worker for PEERLOG_ALERT_LEASE_SECONDS, renewed every third of it while the
# SMTP send lasts (a slow server can take longer than EMAIL_TIMEOUT in all); if
# the worker dies, the next dispatcher pass after the lease sends it again. So
# "within a minute" needs: SMTP timeout < lease, lease + dispatch period < 60 s.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
PEERLOG_ALERT_LEASE_SECONDS = 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Peerlog <peerlog@localhost>")

# --- Celery ------------------------------------------------------------------------
# No broker configured: tasks run eagerly in-process (the embedded demo).
# The cache holds the read API's per-token request counts (issue 16). With a
# shared cache (PEERLOG_CACHE_URL=redis://..., as docker-compose.yml sets) the
# limit holds across every worker; the default, one memory per process, makes
# it a limit per worker process.
_cache_url = env_str("PEERLOG_CACHE_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL.startswith("memory://")
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# One static entry: the dispatcher works out what is due from each site's
# schedule (notifications.schedules), so DST and time zones stay in the app.
# Every 15 s: also the sweeper that takes over a dead worker's alert (above).
PEERLOG_DISPATCH_SECONDS = env_int("PEERLOG_DISPATCH_SECONDS", 15)
CELERY_BEAT_SCHEDULE = {
    "dispatch": {
        "task": "logs_app.tasks.dispatch",  # notifications.tasks.dispatch's name
        "schedule": PEERLOG_DISPATCH_SECONDS,
        "options": {"expires": PEERLOG_DISPATCH_SECONDS},
    },
    # Enrolment previews never applied lose the file's rows after a week.
    "import-previews-expire": {
        "task": "programs.tasks.imports_expire",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
}
if not (
    0 < EMAIL_TIMEOUT < PEERLOG_ALERT_LEASE_SECONDS
    and PEERLOG_DISPATCH_SECONDS > 0
    and PEERLOG_ALERT_LEASE_SECONDS + PEERLOG_DISPATCH_SECONDS < 60
):
    raise ImproperlyConfigured(
        "Safety alerts must go out within a minute even when a worker dies: "
        f"EMAIL_TIMEOUT must be below {PEERLOG_ALERT_LEASE_SECONDS} s and "
        f"PEERLOG_DISPATCH_SECONDS below {60 - PEERLOG_ALERT_LEASE_SECONDS} s."
    )

# --- Logging: no request bodies or narrative text in logs (AUD-5) -------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # 403/404 are expected (and audited); only server errors are logged here.
        "django.request": {"level": "ERROR"},
    },
}

# --- Peerlog -----------------------------------------------------------------------
# How often the log form autosaves while someone types (milliseconds).
PEERLOG_AUTOSAVE_INTERVAL_MS = env_int("PEERLOG_AUTOSAVE_INTERVAL_MS", 4000)
PEERLOG_PAGE_SIZE = env_int("PEERLOG_PAGE_SIZE", 25)
# Research export: where job files are written (shared by web and worker), the
# key for pseudonymous IDs (EXP-4: set it, so rotating DJANGO_SECRET_KEY does not
# change every pseudonym), how long download links live, and up to how many
# logs a CSV downloads at once instead of running as a job.
PEERLOG_EXPORT_DIR = env_str("PEERLOG_EXPORT_DIR", str(BASE_DIR / "media" / "exports"))
PEERLOG_EXPORT_KEY = env_str("PEERLOG_EXPORT_KEY", "")
PEERLOG_EXPORT_TTL_HOURS = env_int("PEERLOG_EXPORT_TTL_HOURS", 72)
# Where links in e-mails point (scheme and host, no trailing slash).
PEERLOG_SITE_URL = env_str("PEERLOG_SITE_URL", "http://127.0.0.1:8000")
