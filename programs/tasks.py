"""Celery tasks of the program pages (issue 17)."""

from celery import shared_task

from programs.imports import imports_expire


@shared_task(name="programs.tasks.imports_expire", acks_late=True)
def expire_previews() -> int:
    """Hourly: previews never applied lose the file's rows after a week."""
    return imports_expire()
