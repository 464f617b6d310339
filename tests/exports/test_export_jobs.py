"""Export page, jobs, downloads and the command line: a tampered level is
refused and audited (EXP-1), rights are checked again when a job runs (AZ-9),
every file is recorded with rows and SHA-256 (AUD-1), downloads are
permission-checked, expiring attachments, jobs are rows (JOB-1)."""

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.urls import reverse

from audit.models import AuditEvent
from exports import files, jobs, rows_copy
from exports.downloads import export_file_path
from exports.filters import ExportFilters
from exports.jobs import REDISPATCH_AFTER, export_job_run, exports_expire
from exports.models import ExportJob, ExportLevel, ExportRight
from exports.services import export_job_create
from exports.tasks import dispatch_pending_exports, export_run
from exports.writers import base as writers_base
from notifications.models import Notification
from tests.exports.test_export import data, export_dir  # noqa: F401 (fixtures)
from tests.factories import InteractionLogFactory

UTC = dt.UTC


@pytest.fixture(autouse=True)
def _files(export_dir):  # noqa: F811
    return export_dir


def grant(user, level: str) -> None:
    ExportRight.objects.update_or_create(
        user=user, defaults={"level": level, "granted_at": dt.datetime.now(UTC)}
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _post(client, **fields):
    payload = {"level": "coded", "format": "csv"}
    payload.update(fields)
    return client.post(reverse("export_page"), payload)


# --- the page -------------------------------------------------------------------------
def test_page_previews_rows_exclusions_and_columns(data, staff, as_user):  # noqa: F811
    grant(staff, ExportLevel.TEXT)
    response = as_user(staff).get(
        reverse("export_page"), {"level": "text", "format": "csv"}
    )
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.rows == len(data["nyc"])
    assert preview.excluded == {
        "no_participant_consent": 1,
        "voided": 1,
        "reflections_withheld": 1,
    }
    html = response.content.decode()
    assert "narrative" in html and "Download now" in html
    assert "consent does not cover research use" in html
    # The sites offered are the user's own.
    assert [s.code for s in response.context["form"].fields["sites"].queryset] == [
        "nyc"
    ]


def test_small_export_downloads_at_once_recorded_and_audited(
    data,  # noqa: F811
    staff,
    as_user,
):
    grant(staff, ExportLevel.CODED)
    response = _post(as_user(staff))

    assert response.status_code == 200
    body = _body(response)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Length"] == str(len(body))
    sha = hashlib.sha256(body).hexdigest()
    assert response["X-Export-SHA256"] == sha
    job = ExportJob.objects.get()
    assert (job.status, job.delivery, job.row_count, job.sha256) == (
        "done",
        "direct",
        len(data["nyc"]),
        sha,
    )
    event = AuditEvent.objects.get(action="export")
    assert event.actor == staff
    assert event.details["rows"] == len(data["nyc"])
    assert event.details["sha256"] == sha
    assert event.details["level"] == "coded"
    assert event.details["filters"]["include_voided"] is False
    assert event.details["columns"][:3] == [
        "log_id",
        "participant_code",
        "mentor_code",
    ]
    assert "narrative" not in event.details["columns"]
    rows = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    assert len(rows) == len(data["nyc"])


@pytest.mark.parametrize(
    ("right", "asked"),
    [
        (None, "coded"),
        (ExportLevel.CODED, "text"),
        (ExportLevel.TEXT, "full"),
        (ExportLevel.FULL, "full"),  # "full" is for admins only
    ],
)
def test_tampered_level_is_refused_and_audited(data, staff, as_user, right, asked):  # noqa: F811
    if right:
        grant(staff, right)
    response = _post(as_user(staff), level=asked)

    assert response.status_code == 403
    assert not ExportJob.objects.exists()
    event = AuditEvent.objects.get(action="export.denied")
    assert (event.actor, event.outcome, event.details["level"]) == (
        staff,
        "403",
        asked,
    )
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_foreign_site_in_filters_is_rejected(data, staff, as_user, other_site):  # noqa: F811
    grant(staff, ExportLevel.CODED)
    response = _post(as_user(staff), sites=[other_site.pk])
    assert response.status_code == 400
    assert "sites" in response.context["form"].errors
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("role", ["mentor", "supervisor", "nobody"])
def test_other_roles_get_403(role, request, as_user):
    user = request.getfixturevalue(role)
    user = getattr(user, "user", user)
    assert as_user(user).get(reverse("export_page")).status_code == 403
    assert _post(as_user(user)).status_code == 403


def test_wrong_method_gets_405(staff, as_user):
    client = as_user(staff)
    assert client.put(reverse("export_page")).status_code == 405
    assert client.post(reverse("export_history")).status_code == 405


# --- jobs -----------------------------------------------------------------------------
def _queue(user, level="coded", fmt="csv", **filters) -> ExportJob:
    return export_job_create(
        user=user, filters=ExportFilters(**filters), level=level, fmt=fmt
    )


def test_large_export_is_a_job_that_runs_after_commit(
    data,  # noqa: F811
    staff,
    as_user,
    settings,
    django_capture_on_commit_callbacks,
):
    grant(staff, ExportLevel.TEXT)
    settings.PEERLOG_EXPORT_DIRECT_MAX_ROWS = 2
    client = as_user(staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _post(client, level="text", format="package")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("export_detail", args=[job.pk])
    assert len(callbacks) == 1  # eager mode: the job ran right after the commit
    job.refresh_from_db()
    assert (job.status, job.delivery, job.row_count) == (
        "done",
        "job",
        len(data["nyc"]),
    )
    assert job.expires_at > job.finished_at
    path = export_file_path(job)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == job.sha256
    assert job.file_size == path.stat().st_size
    # The ready mail: an outbox row with the export's id only.
    note = Notification.objects.get(kind=Notification.Kind.EXPORT_READY)
    assert (note.recipient, note.email, note.period, note.payload) == (
        staff,
        staff.email,
        f"export:{job.pk}",
        {"export_id": job.pk},
    )
    assert AuditEvent.objects.filter(action="export", object_id=str(job.pk)).exists()

    status = client.get(reverse("export_status", args=[job.pk])).json()
    assert (status["status"], status["finished"], status["percent"]) == (
        "done",
        True,
        100,
    )
    page = client.get(reverse("export_detail", args=[job.pk]))
    assert reverse("export_download", args=[job.pk]) in page.content.decode()
    download = client.get(reverse("export_download", args=[job.pk]))
    assert download.status_code == 200
    body = _body(download)
    assert download["Content-Length"] == str(len(body)) == str(job.file_size)
    assert download["Cache-Control"] == "no-store"
    assert download["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(body).hexdigest() == job.sha256
    assert AuditEvent.objects.filter(action="export.download").count() == 1


def test_revoking_the_right_before_the_job_runs_stops_it(data, staff):  # noqa: F811
    grant(staff, ExportLevel.TEXT)
    job = _queue(staff, level="text")
    grant(staff, ExportLevel.CODED)  # lowered while the job waited

    assert export_job_run(job.pk) == "refused"

    job.refresh_from_db()
    assert job.status == "refused"
    assert not job.file_name and not list(jobs.export_dir().iterdir())
    event = AuditEvent.objects.get(action="export.refused")
    assert (event.actor, event.outcome) == (staff, "403")
    assert not Notification.objects.exists()


def test_losing_the_research_role_before_the_job_runs_stops_it(data, staff):  # noqa: F811
    grant(staff, ExportLevel.CODED)
    job = _queue(staff)
    staff.groups.clear()
    assert export_job_run(job.pk) == "refused"


def test_losing_a_site_before_the_job_runs_stops_it(data, staff, site):  # noqa: F811
    grant(staff, ExportLevel.CODED)
    job = _queue(staff, sites=(site.pk,))
    staff.site_access.all().delete()
    assert export_job_run(job.pk) == "refused"


def test_a_job_runs_once(data, staff):  # noqa: F811
    grant(staff, ExportLevel.CODED)
    job = _queue(staff)
    assert export_job_run(job.pk) == "done"
    assert export_job_run(job.pk) == "skipped"
    assert Notification.objects.count() == 1
    assert AuditEvent.objects.filter(action="export").count() == 1


def test_dispatcher_claims_queued_jobs_and_survives_a_broker_outage(
    data,  # noqa: F811
    staff,
    monkeypatch,
):
    grant(staff, ExportLevel.CODED)
    first, second = _queue(staff), _queue(staff)
    sent = []
    monkeypatch.setattr(export_run, "delay", sent.append)
    now = dt.datetime(2026, 11, 19, 20, 0, tzinfo=UTC)

    assert dispatch_pending_exports(now=now) == 2
    assert sent == [first.pk, second.pk]
    assert dispatch_pending_exports(now=now) == 0  # claimed: not handed twice
    later = now + REDISPATCH_AFTER + dt.timedelta(seconds=1)
    assert dispatch_pending_exports(now=later) == 2  # never started: again

    def down(pk):
        raise ConnectionError("broker down")

    monkeypatch.setattr(export_run, "delay", down)
    much_later = later + REDISPATCH_AFTER * 2
    assert dispatch_pending_exports(now=much_later) == 0
    assert set(ExportJob.objects.values_list("dispatched_at", flat=True)) == {
        None
    }  # released for the next round


def test_expired_link_gives_410_and_the_file_is_deleted(data, staff, as_user):  # noqa: F811
    grant(staff, ExportLevel.CODED)
    job = _queue(staff)
    export_job_run(job.pk)
    job.refresh_from_db()
    path = export_file_path(job)
    later = job.expires_at + dt.timedelta(seconds=1)

    assert exports_expire(now=later) == 1

    assert not path.exists()
    job.refresh_from_db()
    assert job.status == "expired"
    response = as_user(staff).get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 410


def test_someone_elses_export_is_a_404(data, staff, admin_user, as_user, other_staff):  # noqa: F811
    grant(staff, ExportLevel.CODED)
    job = _queue(staff)
    export_job_run(job.pk)
    for user in (admin_user, other_staff):
        client = as_user(user)
        for name in ("export_detail", "export_status", "export_download"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_download_refused_once_the_right_is_lowered(data, staff, as_user):  # noqa: F811
    grant(staff, ExportLevel.TEXT)
    job = _queue(staff, level="text")
    export_job_run(job.pk)
    grant(staff, ExportLevel.CODED)
    response = as_user(staff).get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 403


def test_history_shows_own_exports_to_staff_and_all_to_admins(
    data,  # noqa: F811
    staff,
    other_staff,
    admin_user,
    as_user,
):
    grant(staff, ExportLevel.CODED)
    grant(other_staff, ExportLevel.CODED)
    mine, theirs = _queue(staff), _queue(other_staff)
    staff_page = as_user(staff).get(reverse("export_history"))
    assert list(staff_page.context["page"].object_list) == [mine]
    admin_page = as_user(admin_user).get(reverse("export_history"))
    assert set(admin_page.context["page"].object_list) == {mine, theirs}
    assert "other_staff" in admin_page.content.decode()


@pytest.fixture
def other_staff(db, other_site):
    from core.roles import Role
    from tests.factories import UserFactory

    return UserFactory(
        username="other_staff", roles=[Role.RESEARCH], sites=[other_site]
    )


# --- the ready e-mail (DP-5) ----------------------------------------------------------
def test_ready_mail_links_to_the_export_and_holds_no_data(data, staff):  # noqa: F811
    grant(staff, ExportLevel.TEXT)
    job = _queue(staff, level="text")
    export_job_run(job.pk)
    note = Notification.objects.get()
    context = {
        "user": staff,
        "notification": note,
        "payload": note.payload,
        "site_url": "https://peerlog.example.org",
    }
    link = f"https://peerlog.example.org/export/{job.pk}/"
    for name in ("subject.txt", "body.txt", "body.html"):
        text = render_to_string(f"emails/export_ready_{name}", context)
        assert "NYC-0001" not in text and "HYPERLINK" not in text
        if name != "subject.txt":
            assert link in text


# --- the command line -----------------------------------------------------------------
def test_command_exports_under_the_users_rights(data, staff, tmp_path, site):  # noqa: F811
    grant(staff, ExportLevel.CODED)
    out = tmp_path / "logs.csv"
    stdout = io.StringIO()

    call_command(
        "export_logs", "--as", "staff", "--level", "coded", "--format", "csv",
        "--out", str(out), "--site", "nyc", "--since", "2026-11-01", stdout=stdout,
    )  # fmt: skip

    body = out.read_bytes()
    job = ExportJob.objects.get()
    assert job.sha256 == hashlib.sha256(body).hexdigest()
    assert job.filters["sites"] == [site.pk]
    assert job.sha256 in stdout.getvalue()
    event = AuditEvent.objects.get(action="export")
    assert (event.actor, event.details["via"], event.details["rows"]) == (
        staff,
        "command",
        job.row_count,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--level", "text"],  # above the right
        ["--site", "syd"],  # outside the user's sites
    ],
)
def test_command_refuses_and_audits(args, data, staff, tmp_path, other_site):  # noqa: F811
    grant(staff, ExportLevel.CODED)
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match="Refused"):
        call_command("export_logs", "--as", "staff", "--out", str(out), *args)
    assert not out.exists()
    assert AuditEvent.objects.filter(action="export.denied").count() == 1


def test_command_refuses_without_a_real_export_key_in_production(
    data,  # noqa: F811
    staff,
    tmp_path,
    settings,
):
    """Issue 11, finding 10 (EXP-4), left open by the web-side fix: without
    DEBUG the command keyed pseudonyms on the secret key when PEERLOG_EXPORT_KEY
    was missing, so its files matched no file from the web app."""
    grant(staff, ExportLevel.CODED)
    settings.DEBUG = False
    settings.SECRET_KEY = "s3cret-" + "k3y-material-" * 5
    settings.PEERLOG_EXPORT_KEY = ""
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match="PEERLOG_EXPORT_KEY"):
        call_command("export_logs", "--as", "staff", "--out", str(out))
    assert not out.exists() and not ExportJob.objects.exists()
    settings.PEERLOG_EXPORT_KEY = "export-" + "k3y-material-" * 5
    call_command("export_logs", "--as", "staff", "--out", str(out))
    assert out.exists()


def test_a_failing_export_is_recorded_and_leaves_no_file(data, staff, monkeypatch):  # noqa: F811
    grant(staff, ExportLevel.CODED)
    job = _queue(staff)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(files, "export_write", broken)
    assert export_job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "RuntimeError")
    assert not list(jobs.export_dir().iterdir())


def test_voided_log_counts_in_the_preview_only_when_left_out(
    data,  # noqa: F811
    staff,
    as_user,
    participant,
    mentor,
):
    grant(staff, ExportLevel.CODED)
    InteractionLogFactory(
        mentor=mentor, participant=participant, is_voided=True, void_reason="x"
    )
    response = as_user(staff).get(
        reverse("export_page"),
        {"level": "coded", "format": "csv", "include_voided": "on"},
    )
    assert "voided" not in response.context["preview"].excluded


# --- granting rights (EXP-1, AUD-1) ---------------------------------------------------
def test_granting_an_export_right_is_audited_and_full_is_for_admins(
    staff, admin_user, as_user
):
    client = as_user(admin_user)
    url = reverse("admin:exports_exportright_add")

    refused = client.post(url, {"user": staff.pk, "level": "full", "note": ""})
    assert refused.status_code == 200  # the form again, with the error
    assert not ExportRight.objects.exists()

    client.post(url, {"user": staff.pk, "level": "text", "note": "IRB 2026-14"})
    right = ExportRight.objects.get()
    assert (right.level, right.granted_by) == ("text", admin_user)
    event = AuditEvent.objects.get(action="export_right.change")
    assert (event.actor, event.details) == (
        admin_user,
        {"user": staff.pk, "level": [None, "text"]},
    )


def test_job_reports_progress_between_copy_statements(data, staff, monkeypatch):  # noqa: F811
    """On PostgreSQL the connection is busy during a COPY: progress is written
    between statements, never in the middle of one."""
    grant(staff, ExportLevel.CODED)
    monkeypatch.setattr(rows_copy, "SMALL_EXPORT", 0)  # ranges, not ids
    monkeypatch.setattr(rows_copy, "COPY_CHUNK_IDS", 3)
    monkeypatch.setattr(writers_base, "PROGRESS_EVERY", 2)
    job = _queue(staff)

    assert export_job_run(job.pk) == "done"

    job.refresh_from_db()
    assert job.heartbeat_at > job.started_at  # progress was written meanwhile
    assert job.row_count == job.progress_rows == len(data["nyc"])
