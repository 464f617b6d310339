"""Handing work to Celery without a broker call in the request path (JOB-1).

Work is a database row first (a Notification, an export job). The dispatcher,
run by beat every 15 seconds, claims due rows and sends their ids to the
workers. With no broker (the embedded demo, where Celery runs eagerly), there
is no beat either, so the work runs in-process right after the commit."""

from collections.abc import Callable

from django.conf import settings
from django.db import transaction


def run_after_commit_if_eager(task: Callable, *args: object) -> None:
    """Eager mode: run `task(*args)` once the current transaction commits.
    With a real broker: do nothing here; the dispatcher picks the row up."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: task.delay(*args))
