"""Celery tasks of logs_app. The export task lives in export_jobs: importing it
here registers it with the worker. The notification tasks (send_notification,
dispatch) moved to notifications.tasks with their registered names (issue 12);
the dispatcher hands export jobs over through the step LogsAppConfig.ready()
registers."""

from logs_app import export_jobs  # noqa: F401
