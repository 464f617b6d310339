"""Faults (issue 6, "Prove"): what breaks around a request must not lose or
half-store a mentor's log, and must not leak it into error reports.

Covered elsewhere, not repeated here:
- SMTP down or refusing (JOB-4/5): tests/notifications/test_notifications.py,
  test_smtp_server_down_is_retried, test_smtp_refusing_is_retried_with_backoff_
  then_sent_once, test_smtp_permanent_failure_is_marked_and_shown_to_admins.
- The broker down at the service level (JOB-1): test_notifications.py,
  test_with_the_broker_down_the_log_is_filed_and_the_alert_waits.
- Session expiry mid-edit (SES-3, REL-1): tests/accounts/test_sessions.py,
  test_ses_3_the_draft_survives_a_timeout."""

import logging

import pytest
from celery.app.task import Task
from django.core import mail
from django.db import OperationalError
from django.db.models.query import QuerySet
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter
from kombu.exceptions import OperationalError as BrokerError

from audit.models import AuditEvent
from logs_app.models import (
    InteractionLog,
    LogAutosave,
    LogRevision,
    Technique,
    Topic,
)
from notifications.models import Notification
from tests.factories import log_form

pytestmark = pytest.mark.usefixtures("frozen_now")

NARRATIVE = "Jay told me about the hard week with their sister."


def _form(participant, **extra) -> dict:
    return (
        log_form(
            participant,
            narrative=NARRATIVE,
            techniques=[str(Technique.objects.first().pk)],
            topics=[str(Topic.objects.first().pk)],
        )
        | extra
    )


def _mentor_client(mentor) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(mentor.user)
    return client


# --- JOB-1: Redis down, the web path
def test_job_1_filing_a_safety_flag_with_the_broker_down_works(
    mentor, participant, settings, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a real broker, which is down

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", broker_down)
    monkeypatch.setattr(Task, "delay", broker_down)
    client = _mentor_client(mentor)

    response = client.post(
        reverse("log_create"), _form(participant, safety_concern="on")
    )

    assert response.status_code == 302
    log = InteractionLog.objects.get()
    assert (log.status, log.safety_concern) == ("submitted", True)
    # The alert is a row, waiting for the dispatcher once the broker is back.
    assert Notification.objects.filter(kind="safety_alert", status="pending").exists()


# --- REL-4: the database fails in the middle of a multi-row save
@pytest.fixture
def db_dies_on_option_links(monkeypatch):
    """The log row is written, then the connection dies while its option links
    (the many-to-many rows) are inserted."""
    real = QuerySet.bulk_create
    through = {
        InteractionLog.techniques.through,
        InteractionLog.topics.through,
        InteractionLog.role_functions.through,
    }

    def bulk_create(self, objs, *args, **kwargs):
        if self.model in through:
            assert InteractionLog.objects.exists()  # the log row went in first
            raise OperationalError("server closed the connection unexpectedly")
        return real(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", bulk_create)


def test_rel_4_a_new_log_is_not_half_stored(
    mentor, participant, db_dies_on_option_links
):
    response = _mentor_client(mentor).post(reverse("log_create"), _form(participant))

    assert response.status_code == 500
    page = response.content.decode()
    assert "Traceback" not in page and "OperationalError" not in page
    assert not InteractionLog.objects.exists()
    assert not InteractionLog.techniques.through.objects.exists()
    assert not LogRevision.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="log.").exists()


def test_rel_4_an_edit_of_a_filed_log_is_not_half_stored_and_the_typing_is_kept(
    mentor, participant, log, monkeypatch
):
    client = _mentor_client(mentor)
    typed = "An edit typed on the bus, not saved yet."
    # The page's autosave keeps the typing aside first (REL-1).
    client.post(
        reverse("log_autosave", args=[log.pk]),
        _form(participant, narrative=typed, idempotency_key=str(log.idempotency_key)),
    )
    assert LogAutosave.objects.filter(log=log).exists()
    real = QuerySet.bulk_create

    def bulk_create(self, objs, *args, **kwargs):
        if self.model is InteractionLog.techniques.through:
            raise OperationalError("server closed the connection unexpectedly")
        return real(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", bulk_create)

    response = client.post(
        reverse("log_edit", args=[log.pk]),
        _form(
            participant,
            narrative=typed,
            idempotency_key=str(log.idempotency_key),
            version=str(log.version),
        ),
    )

    assert response.status_code == 500
    stored = InteractionLog.objects.get(pk=log.pk)
    assert (stored.narrative, stored.version) == (log.narrative, log.version)
    assert not stored.techniques.exists()
    assert not LogRevision.objects.exists()
    # Opening the log again brings the typing back.
    monkeypatch.setattr(QuerySet, "bulk_create", real)
    page = client.get(reverse("log_edit", args=[log.pk])).content.decode()
    assert typed in page


def test_rel_4_a_draft_keeps_its_autosaved_text(
    mentor, participant, db_dies_on_option_links
):
    client = _mentor_client(mentor)
    data = _form(participant)
    del data["techniques"], data["topics"], data["action"]
    saved = client.post(reverse("log_autosave_new"), data).json()
    assert saved["status"] == "saved"

    submit = _form(participant, idempotency_key=data["idempotency_key"])
    response = client.post(reverse("log_edit", args=[saved["log"]]), submit)

    assert response.status_code == 500
    draft = InteractionLog.objects.get(pk=saved["log"])
    assert (draft.status, draft.narrative) == ("draft", NARRATIVE)
    assert not draft.techniques.exists()
    assert not LogRevision.objects.filter(action="submitted").exists()


# --- AUD-5: a forced 500 leaks nothing
def test_aud_5_a_server_error_report_has_no_narrative_or_participant_detail(
    mentor, participant, settings, monkeypatch, caplog
):
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.DEBUG = False

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # Deep inside the save, where its frame holds every typed value.
    monkeypatch.setattr("logs_app.services.local_instant", boom)
    data = _form(
        participant,
        reflection_feelings="I felt shaken afterwards.",
        reflection_concerns="Worried about their safety.",
        weekly_goal="Call the quitline.",
    )
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = _mentor_client(mentor).post(reverse("log_create"), data)

    assert response.status_code == 500
    secrets = [
        NARRATIVE,
        "sister",
        "shaken",
        "Worried about",
        "quitline",
        participant.preferred_name,
    ]
    # What the admins get by mail ...
    assert len(mail.outbox) == 1
    report = mail.outbox[0].body + "".join(
        str(content) for content, _ in getattr(mail.outbox[0], "alternatives", [])
    )
    # ... and the full HTML report with local variables, as DEBUG would show.
    record = next(r for r in caplog.records if r.exc_info)
    reporter = ExceptionReporter(record.request, *record.exc_info, is_email=True)
    html = reporter.get_traceback_html()
    logged = caplog.text
    for secret in secrets:
        assert secret not in report, secret
        assert secret not in html, secret
        assert secret not in logged, secret
    assert "disk full" in report  # it is the right report
