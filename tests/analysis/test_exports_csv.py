"""Issue 15: the CSV exports, read back with the csv module."""

import csv
import hashlib
import io

import pytest
from django.urls import reverse

from analysis.consensus import consensus_settle, final_codes
from analysis.models import Category, Code
from audit.models import AuditEvent
from core.formulas import unneutralise
from tests.analysis.codebook_helpers import apply, code_of, finish, text_of
from tests.analysis.factories import analyst, member, project_of
from tests.conftest import client_for
from tests.factories import CohortFactory

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def setup(db, site):
    lead = analyst("lead", site)
    project = project_of(lead, site)
    b = analyst("b", site)
    member(project, b)
    role = Category.objects.create(project=project, name="Role")
    friend = code_of(project, "Friendship", category=role, definition="=1+1 risky")
    hope = code_of(project, "@Hope")  # a name a spreadsheet would run
    cohort = CohortFactory(site=site, name="Spring")
    done = text_of(project, site, cohort=cohort, body="I was a friend to him.")
    apply(done, lead, friend, span=(8, 14), version=2)
    apply(done, b, friend)
    apply(done, b, hope)
    finish(done, lead, b)
    open_text = text_of(project, site)  # b has not finished it
    apply(open_text, lead, hope)
    finish(open_text, lead)
    return project, lead, b, done, open_text, friend, hope, site


def _download(user, project, name):
    response = client_for(user).get(reverse(name, args=[project.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content)
    event = AuditEvent.objects.filter(action="analysis.export").latest("pk")
    # The audit row names the file's checksum and rows (AUD-1).
    assert event.details["sha256"] == hashlib.sha256(body).hexdigest()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert event.details["rows"] == len(rows) - 1
    return rows


def test_long_export_one_row_per_coding_of_finished_texts_only(setup):
    project, lead, b, done, _open, friend, hope, site = setup
    header, *rows = _download(b, project, "analysis_export_long")
    assert header[:6] == [
        "text_guid",
        "mentor_key",
        "participant_key",
        "site",
        "cohort",
        "contact_date",
    ]
    got = [dict(zip(header, row, strict=True)) for row in rows]
    # Blinding: the unfinished text's coding (lead's) is not in the file.
    assert {r["text_guid"] for r in got} == {str(done.guid)}
    assert [(r["code"], r["coder"], r["scope"], r["start"], r["end"]) for r in got] == [
        ("Friendship", "b", "whole", "", ""),
        ("Friendship", "lead", "passage", "8", "14"),
        ("'@Hope", "b", "whole", "", ""),
    ]
    first = got[0]
    assert (first["mentor_key"], first["participant_key"]) == (
        done.mentor_key,
        done.participant_key,
    )
    assert (first["site"], first["cohort"], first["contact_date"]) == (
        site.code,
        "Spring",
        done.contact_date.isoformat(),
    )
    assert got[1]["codebook_version"] == "2" and got[1]["code_guid"] == str(friend.guid)
    assert unneutralise(got[2]["code"]) == hope.name


def test_long_export_without_blinding_has_every_included_text(setup):
    project, _lead, b, _done, open_text, *_ = setup
    project.blinded = False
    project.save()
    header, *rows = _download(b, project, "analysis_export_long")
    assert str(open_text.guid) in {row[0] for row in rows}


def test_wide_export_is_the_final_code_set_as_0_and_1(setup):
    project, lead, b, done, _open, friend, hope, _site = setup
    consensus_settle(
        actor=lead, project=project, text=done, code=hope, applies=True, note="Yes."
    )
    header, *rows = _download(lead, project, "analysis_export_wide")
    codes = list(Code.objects.filter(project=project))
    assert header[6:] == ["Friendship", "'@Hope"]
    finals = dict(final_codes(project))
    expected = {
        str(t.guid): ["1" if c.pk in finals[t.pk] else "0" for c in codes]
        for t in [done]
    }
    assert {row[0]: row[6:] for row in rows} == expected == {str(done.guid): ["1", "1"]}
    assert rows[0][1:3] == [done.mentor_key, done.participant_key]


def test_codebook_export(setup):
    project, lead, *_ = setup
    header, *rows = _download(lead, project, "analysis_export_codebook")
    got = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["category"], r["code"], r["active"]) for r in got] == [
        ("Role", "Friendship", "1"),
        ("", "'@Hope", "1"),
    ]
    assert got[0]["definition"] == "'=1+1 risky"
    assert got[0]["codebook_version"] == "1"


def test_outsider_gets_404_and_no_export_is_audited(setup):
    project, *_r, site = setup
    outsider = analyst("outsider", site)
    url = reverse("analysis_export_wide", args=[project.pk])
    assert client_for(outsider).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="analysis.export").exists()


def test_wide_export_streams_in_chunks_with_flat_rows(setup, site):
    """Many texts through small chunks give the same file as one chunk."""
    from analysis import exports_csv

    project, lead, b, *_r = setup
    friend = Code.objects.get(name="Friendship")
    for _i in range(7):
        text = text_of(project, site)
        apply(text, lead, friend)
        apply(text, b, friend)
        finish(text, lead, b)
    big, small = io.BytesIO(), io.BytesIO()
    exports_csv.write_wide(big, project)
    old = exports_csv.CHUNK
    exports_csv.CHUNK = 3
    try:
        exports_csv.write_wide(small, project)
    finally:
        exports_csv.CHUNK = old
    assert small.getvalue() == big.getvalue()
    assert big.getvalue().count(b"\r\n") == 1 + 8
