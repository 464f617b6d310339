"""The Celery application. Configuration comes from Django settings (CELERY_*)."""

import os

from celery import Celery
from celery.signals import worker_init

from config.env import require_real_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("peerlog")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_insecure_key(**kwargs) -> None:
    require_real_secret_key()
