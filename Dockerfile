# Peerlog production image: gunicorn serving config.wsgi, static files by WhiteNoise.
# The same image runs the Celery worker and beat (see docker-compose.yml).
#
# Runtime settings come from the environment (config.settings.base):
#   DJANGO_SECRET_KEY, DJANGO_DEBUG, DJANGO_ALLOWED_HOSTS, DJANGO_CSRF_TRUSTED_ORIGINS,
#   DATABASE_URL, CELERY_BROKER_URL, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
#   EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, DEFAULT_FROM_EMAIL,
#   PEERLOG_SECURE_PROXY (1 when behind a TLS-terminating proxy).
FROM python:3.11-slim

ARG UV_VERSION=0.13.9

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.base

RUN pip install "uv==${UV_VERSION}"

WORKDIR /app

# Dependencies first, so code changes reuse this layer.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project

COPY . .

# Build-time only values: collectstatic needs importable settings, not real ones.
RUN DJANGO_SECRET_KEY=collectstatic-build-only-not-a-real-secret-0123456789abcdef \
    DJANGO_DEBUG=0 \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput \
    && rm -f /tmp/collectstatic.sqlite3

# Unprivileged runtime user (numeric, so runAsNonRoot-style checks can verify it).
RUN groupadd --system --gid 10001 peerlog \
    && useradd --system --uid 10001 --gid peerlog --home-dir /app --no-create-home peerlog \
    && mkdir -p /data/exports && chown 10001:10001 /data/exports
USER 10001:10001

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--workers", "2", \
     "--timeout", "60", \
     "--access-logfile", "-"]
