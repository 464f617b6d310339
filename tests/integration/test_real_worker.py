"""The real path: a safety alert goes from a filed log through the outbox, a
real Redis broker and a real Celery worker process to a real SMTP server.

Runs when CELERY_BROKER_URL points at Redis (.ci/run starts one); skipped
otherwise, except under CI=true, where a missing broker fails the test."""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from logs_app.models import Notification
from logs_app.services import log_save
from logs_app.tasks import dispatch_once
from tests.factories import (
    AssignmentFactory,
    MentorFactory,
    ParticipantFactory,
    UserFactory,
)
from tests.smtp import smtp_server, text_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
BROKER = os.environ.get("CELERY_BROKER_URL", "")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_broker(settings):
    if not BROKER.startswith("redis://"):
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI needs CELERY_BROKER_URL=redis://... for the worker test")
        pytest.skip("no Redis broker configured (CELERY_BROKER_URL)")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.update(task_always_eager=False, broker_url=BROKER)
    yield BROKER
    celery_app.conf.update(task_always_eager=saved[0], broker_url=saved[1])


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker(real_broker):
    """A real `celery worker` process on the test database; stopped after."""
    with smtp_server() as (inbox, port):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_SECRET_KEY": "worker-test-secret-" + uuid.uuid4().hex,
            "PEERLOG_EXPORT_KEY": "worker-test-export-" + uuid.uuid4().hex,
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": real_broker,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "DJANGO_CONN_MAX_AGE": "0",
        }
        queue = f"test-{uuid.uuid4().hex[:8]}"  # this run's own queue
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "WARNING",
                "-Q",
                queue,
                "--hostname",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
        )
        celery_app.conf.task_default_queue = queue
        try:
            deadline = time.monotonic() + 30
            while not celery_app.control.ping(
                destination=[f"{queue}@{os.uname().nodename}"], timeout=1
            ):
                assert process.poll() is None, "the worker exited"
                assert time.monotonic() < deadline, "the worker did not start"
            yield inbox
        finally:
            celery_app.conf.task_default_queue = "celery"
            process.terminate()
            process.wait(timeout=20)


def wait_for(predicate, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_safety_alert_reaches_smtp_through_redis_and_a_worker(worker, site):
    inbox = worker
    supervisor = UserFactory(email="sam@example.org")
    mentor = MentorFactory(sites=[site], supervisor=supervisor)
    participant = ParticipantFactory(site=site, study_id="NYC-7777")
    AssignmentFactory(
        mentor=mentor, participant=participant, start_date=dt.date(2026, 1, 5)
    )
    log_save(
        actor=mentor.user,
        mentor=mentor,
        values={
            "participant": participant,
            "contact_date": dt.date(2026, 11, 18),
            "start_time": dt.time(10, 0),
            "duration_minutes": 30,
            "mode": "phone",
            "narrative": "Private words that must never be e-mailed.",
            "safety_concern": True,
        },
        idempotency_key=uuid.uuid4(),
        log=None,
        expected_version=None,
        submit=True,
    )
    # Filing wrote the row and touched no broker; the dispatcher hands it over.
    row = Notification.objects.get(kind="safety_alert")
    assert row.status == "pending"
    assert dispatch_once()["handed"] >= 1  # the alert (and any schedule due now)
    assert wait_for(lambda: len(inbox.messages) == 1), "no mail arrived"
    assert wait_for(lambda: Notification.objects.get(pk=row.pk).status == "sent")

    # A second pass and a duplicate task message change nothing.
    dispatch_once()
    from logs_app.tasks import send_notification

    send_notification.delay(row.pk)
    time.sleep(2)
    assert len(inbox.messages) == 1
    text = text_of(inbox.messages[0])
    assert inbox.messages[0]["To"] == "sam@example.org"
    assert "safety concern" in text
    assert "Private words" not in text and "NYC-7777" not in text
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
