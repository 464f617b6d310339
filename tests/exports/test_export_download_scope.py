"""Issue 11 finding 4 (SECURITY AZ-13): a finished export is served only while
the requester's whole scope — level, sites, participants' research consent —
still covers what the file holds; and a job builds under the rights its
requester has when it runs (AZ-9)."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from exports import files
from exports.filters import ExportFilters
from exports.jobs import export_job_run
from exports.models import ExportJob, ExportLevel
from exports.pseudonyms import pseudonym
from exports.request import ExportRequest
from exports.services import export_direct, export_job_create
from participants.models import SiteAccess
from tests.exports.test_export import data, export_dir  # noqa: F401 (fixtures)
from tests.exports.test_export_jobs import grant
from tests.factories import ParticipantFactory, SiteAccessFactory


@pytest.fixture(autouse=True)
def _files(export_dir):  # noqa: F811
    return export_dir


@pytest.fixture
def rita(staff, other_site):
    """Research staff with both sites (New York and Sydney) and a coded right."""
    SiteAccessFactory(user=staff, site=other_site)
    grant(staff, ExportLevel.CODED)
    return staff


def _coded_csv_job(user, **filters) -> ExportJob:
    return export_job_create(
        user=user, filters=ExportFilters(**filters), level="coded", fmt="csv"
    )


def _finished_job(user, **filters) -> ExportJob:
    job = _coded_csv_job(user, **filters)
    assert export_job_run(job.pk) == "done"
    job.refresh_from_db()
    return job


def _download(client, job):
    return client.get(reverse("export_download", args=[job.pk]))


def _participants_in(response) -> set[str]:
    body = b"".join(response.streaming_content).decode()
    return {row["participant_code"] for row in csv.DictReader(io.StringIO(body))}


def test_revoked_site_refuses_the_download_and_audits_it(
    data,  # noqa: F811
    rita,
    site,
    other_site,
    other_participant,
    as_user,
):
    """Issue 11 finding 4 (AZ-13): Rita's finished export held Sydney's rows and
    stayed downloadable after an admin removed her Sydney access; the download
    re-checked only the level and expiry."""
    job = _finished_job(rita)
    assert job.covered["sites"] == sorted([site.pk, other_site.pk])
    client = as_user(rita)
    assert pseudonym("P", other_participant.pk) in _participants_in(
        _download(client, job)
    )

    SiteAccess.objects.filter(user=rita, site=other_site).delete()
    response = _download(client, job)

    assert response.status_code == 403
    denial = AuditEvent.objects.get(action="export.denied")
    assert (denial.actor, denial.outcome, denial.object_id) == (
        rita,
        "403",
        str(job.pk),
    )
    assert denial.details["via"] == "download"
    assert "site" in denial.details["reason"]
    assert AuditEvent.objects.filter(action="export.download").count() == 1  # before
    page = as_user(rita).get(reverse("export_detail", args=[job.pk]))
    assert reverse("export_download", args=[job.pk]) not in page.content.decode()
    assert page.context["scope_narrowed"] is True


def test_withdrawn_research_consent_refuses_the_download(
    data,  # noqa: F811
    rita,
    participant,
    as_user,
):
    """Issue 11 finding 4 (AZ-13, AZ-14): a participant in the file whose consent
    no longer covers research use stops the download."""
    job = _finished_job(rita)
    participant.has_research_consent = False
    participant.save()

    response = _download(as_user(rita), job)

    assert response.status_code == 403
    reason = AuditEvent.objects.get(action="export.denied").details["reason"]
    assert "consent" in reason


def test_lowered_level_refuses_the_download_and_audits_it(data, rita, as_user):  # noqa: F811
    """Issue 11 finding 4 (AZ-13): the level is part of the scope re-checked."""
    job = _finished_job(rita)
    grant(rita, ExportLevel.NONE)
    assert _download(as_user(rita), job).status_code == 403
    assert "level" in AuditEvent.objects.get(action="export.denied").details["reason"]


def test_changes_outside_the_file_do_not_refuse_it(
    data,  # noqa: F811
    rita,
    site,
    other_site,
    as_user,
):
    """Issue 11 finding 4 (AZ-13): the check is exact. A New York export still
    downloads after Sydney is revoked, or after a participant who is not in the
    file withdraws consent."""
    job = _finished_job(rita, sites=(site.pk,))
    assert job.covered["sites"] == [site.pk]
    SiteAccess.objects.filter(user=rita, site=other_site).delete()
    ParticipantFactory(study_id="NYC-0777", site=site, has_research_consent=False)
    data["sydney"][0].participant.has_research_consent = False
    data["sydney"][0].participant.save()

    assert _download(as_user(rita), job).status_code == 200
    assert not AuditEvent.objects.filter(action="export.denied").exists()


def test_a_file_that_does_not_say_what_it_holds_is_not_served(
    data,  # noqa: F811
    rita,
    as_user,
):
    """Issue 11 finding 4 (AZ-13): a job finished before files recorded their
    sites and participants cannot be checked, so it is refused, not served."""
    job = _finished_job(rita)
    ExportJob.objects.filter(pk=job.pk).update(covered={})
    assert _download(as_user(rita), job).status_code == 403


def _revoke_site(rita, other_site, other_participant):
    SiteAccess.objects.filter(user=rita, site=other_site).delete()


def _withdraw_consent(rita, other_site, other_participant):
    other_participant.has_research_consent = False
    other_participant.save()


@pytest.mark.parametrize("fmt", ["csv", "long", "xlsx", "package"])
@pytest.mark.parametrize("change", [_revoke_site, _withdraw_consent])
def test_scope_narrowed_while_the_file_is_written_refuses_the_download(
    data,  # noqa: F811
    rita,
    other_site,
    other_participant,
    as_user,
    monkeypatch,
    change,
    fmt,
):
    """Issue 11 finding 4 (AZ-13, review): Sydney's access was revoked (or a
    Sydney participant withdrew consent) while the job wrote its file. The file
    held Sydney's rows, but what it held was read after the write, under the
    narrowed scope, so it left Sydney out and every download passed. The job
    now records the participants the writers actually emitted."""
    real_write = files.export_write

    def write_then_narrow(out, **kwargs):
        result = real_write(out, **kwargs)
        change(rita, other_site, other_participant)
        return result

    monkeypatch.setattr(files, "export_write", write_then_narrow)
    job = export_job_create(user=rita, filters=ExportFilters(), level="coded", fmt=fmt)
    assert export_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert other_participant.pk in job.covered["participants"]

    response = _download(as_user(rita), job)

    assert response.status_code == 403
    denial = AuditEvent.objects.get(action="export.denied")
    assert denial.details["via"] == "download"
    assert not AuditEvent.objects.filter(action="export.download").exists()


def test_scope_narrowed_before_the_write_leaves_the_file_servable(
    data,  # noqa: F811
    rita,
    other_site,
    other_participant,
    as_user,
    monkeypatch,
):
    """Issue 11 finding 4 (AZ-13, review): the record is exact. Consent
    withdrawn after the job started but before its file was read leaves the
    participant out of the file and out of the record: the download passes."""
    real_write = files.export_write

    def narrow_then_write(out, **kwargs):
        _withdraw_consent(rita, other_site, other_participant)
        return real_write(out, **kwargs)

    monkeypatch.setattr(files, "export_write", narrow_then_write)
    job = _coded_csv_job(rita)
    assert export_job_run(job.pk) == "done"
    job.refresh_from_db()
    assert other_participant.pk not in job.covered["participants"]

    response = _download(as_user(rita), job)

    assert response.status_code == 200
    assert pseudonym("P", other_participant.pk) not in _participants_in(response)


def test_direct_export_download_url_is_gone_not_denied(
    data,  # noqa: F811
    rita,
    as_user,
):
    """Issue 11 finding 4 (AZ-13, review): a direct export keeps no file and
    records no coverage; its download URL answered 410 gone before the scope
    re-check and must still, without an export.denied row for a file that
    never existed."""
    started = export_direct(
        ExportRequest.build(
            user=rita, filters=ExportFilters(), level="coded", fmt="csv"
        ),
        request=None,
        expected=None,
        now=timezone.now(),
    )
    started.file.close()
    job = started.job
    assert (job.delivery, job.file_name) == (ExportJob.Delivery.DIRECT, "")

    response = _download(as_user(rita), job)

    assert response.status_code == 410
    assert not AuditEvent.objects.filter(action="export.denied").exists()
    page = as_user(rita).get(reverse("export_detail", args=[job.pk]))
    assert page.context["scope_narrowed"] is False


# --- AZ-9: the job runs under the rights its requester has then -----------------------
def test_job_run_after_a_site_is_revoked_leaves_that_site_out(
    data,  # noqa: F811
    rita,
    other_site,
    other_participant,
    as_user,
):
    """AZ-9 (issue 11 finding 4): without a site filter the job still reads
    only the sites its requester has when it runs."""
    job = _coded_csv_job(rita)
    SiteAccess.objects.filter(user=rita, site=other_site).delete()

    assert export_job_run(job.pk) == "done"

    job.refresh_from_db()
    assert other_site.pk not in job.covered["sites"]
    assert other_participant.pk not in job.covered["participants"]
    response = _download(as_user(rita), job)
    assert response.status_code == 200
    assert pseudonym("P", other_participant.pk) not in _participants_in(response)


def test_job_run_after_consent_is_withdrawn_leaves_the_participant_out(
    data,  # noqa: F811
    rita,
    participant,
):
    """AZ-9, AZ-14 (issue 11 finding 4): consent is read when the job runs."""
    job = _coded_csv_job(rita)
    participant.has_research_consent = False
    participant.save()

    assert export_job_run(job.pk) == "done"

    job.refresh_from_db()
    assert participant.pk not in job.covered["participants"]
    assert job.row_count == len(data["nyc"]) + len(data["sydney"]) - len(
        [log for log in data["nyc"] if log.participant_id == participant.pk]
    )
