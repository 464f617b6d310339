"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from config.env import require_real_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

application = get_wsgi_application()
require_real_secret_key()
