"""Issue 17, enrolment imports: a file is previewed before anything is
written (rows to add, to change before -> after, unchanged, errors by row and
column), applied in one transaction only without errors, and a second import
of the same file changes nothing. Every kind of bad cell and bad file gets a
clear message and writes nothing; only a site's lead or an admin imports,
and only for their sites."""

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from core.roles import Role
from participants.models import Participant
from programs.import_files import FileRefused, read_table
from programs.imports import (
    COLUMNS,
    ImportRefused,
    import_apply,
    import_preview,
    imports_expire,
)
from programs.models import ParticipantImport
from tests.conftest import client_for
from tests.factories import CohortFactory, ParticipantFactory, UserFactory

HEADER = ",".join(COLUMNS)


@pytest.fixture
def lead(site, supervisor, cohort):
    """The supervisor leads `site` (not `other_site`), which has a cohort."""
    site.lead = supervisor
    site.save()
    return supervisor


@pytest.fixture
def cohort(site):
    return CohortFactory(site=site, name="Spring 2026")


def _csv(*rows: str, header: str = HEADER, bom: bool = False, crlf: bool = False):
    text = "\n".join([header, *rows]) + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    return (("\ufeff" if bom else "") + text).encode()


def _upload(client, data: bytes, name: str = "enrolled.csv"):
    return client.post(reverse("import_page"), {"file": SimpleUploadedFile(name, data)})


def _preview(client, data: bytes, name: str = "enrolled.csv") -> ParticipantImport:
    response = _upload(client, data, name)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ParticipantImport.objects.latest("pk")


GOOD = (
    "NYC-0101,nyc,yes,2026-09-01,Ana,Spring 2026,",
    "NYC-0102,NYC,no,2026-09-02,,,2026-10-01",
    "NYC-0001,nyc,yes,2026-01-05,Jay B.,,",
)


# --- the whole way -------------------------------------------------------------------
def test_a_file_is_previewed_then_applied_and_the_same_file_again_changes_nothing(
    lead, participant, cohort
):
    client = client_for(lead)
    data = _csv(*GOOD)

    record = _preview(client, data)

    plan = record.plan
    assert [row["study_id"] for row in plan["add"]] == ["NYC-0101", "NYC-0102"]
    assert plan["change"] == [
        {"study_id": "NYC-0001", "changes": {"preferred_name": ["Jay", "Jay B."]}}
    ]
    assert not plan["errors"] and plan["unchanged"] == 0
    assert not Participant.objects.filter(study_id__startswith="NYC-01").exists()
    page = client.get(reverse("import_detail", args=[record.pk])).content.decode()
    assert "NYC-0101" in page and "Jay B." in page and "Apply this import" in page

    response = client.post(reverse("import_apply", args=[record.pk]))

    assert response.status_code == 302
    ana = Participant.objects.get(study_id="NYC-0101")
    assert (ana.preferred_name, ana.cohort, ana.has_research_consent) == (
        "Ana",
        cohort,
        True,
    )
    assert ana.enrolled_on == dt.date(2026, 9, 1)
    other = Participant.objects.get(study_id="NYC-0102")
    assert other.quit_date == dt.date(2026, 10, 1) and not other.has_research_consent
    participant.refresh_from_db()
    assert participant.preferred_name == "Jay B."
    record.refresh_from_db()
    assert record.status == "applied" and "table" not in record.plan

    again = _preview(client, data)
    assert again.plan["add"] == [] and again.plan["change"] == []
    assert again.plan["unchanged"] == 3
    with pytest.raises(ImportRefused, match="Nothing to change"):
        import_apply(user=lead, sites=[lead.led_sites.get()], record=again)
    assert Participant.objects.count() == 3

    events = AuditEvent.objects.filter(action__startswith="participants.import")
    applied = events.get(action="participants.import.apply")
    assert applied.details["sha256"] == record.sha256
    assert (applied.details["added"], applied.details["changed"]) == (2, 1)
    assert events.filter(action="participants.import.preview").count() == 2


def test_applying_twice_is_refused_and_writes_once(lead, participant):
    record = _preview(client_for(lead), _csv(GOOD[0]))
    import_apply(user=lead, sites=[lead.led_sites.get()], record=record)
    with pytest.raises(ImportRefused, match="applied already"):
        import_apply(user=lead, sites=[lead.led_sites.get()], record=record)
    assert Participant.objects.filter(study_id="NYC-0101").count() == 1


def test_a_preview_never_applied_loses_the_files_rows_after_a_week(lead, participant):
    """Noticed in stop 22: a preview never applied kept the enrolment list
    (preferred names included) for ever. The hourly task drops the rows after
    7 days; the preview keeps its counts and can no longer be applied."""
    from programs.tasks import expire_previews

    record = _preview(client_for(lead), _csv(GOOD[0]))
    fresh = _preview(client_for(lead), _csv(GOOD[1]))
    week_on = record.created_at + dt.timedelta(days=7, seconds=1)
    ParticipantImport.objects.filter(pk=fresh.pk).update(
        created_at=week_on - dt.timedelta(days=1)
    )
    assert imports_expire(now=week_on) == 1
    record.refresh_from_db()
    assert "table" not in record.plan and record.plan["expired"]
    assert "Ana" not in str(record.plan)
    assert [row["study_id"] for row in record.plan["add"]] == ["NYC-0101"]
    with pytest.raises(ImportRefused, match="has expired"):
        import_apply(user=lead, sites=[lead.led_sites.get()], record=record)
    assert not Participant.objects.filter(study_id="NYC-0101").exists()
    fresh.refresh_from_db()
    assert "table" in fresh.plan
    assert AuditEvent.objects.get(action="participants.import.expired").details == {
        "imports": 1,
        "days": 7,
    }
    assert imports_expire(now=week_on) == 0  # idempotent
    # A name refused as too long stays in no error either (second review).
    long_name = "N" * 81
    refused = _preview(
        client_for(lead), _csv(f"NYC-0103,nyc,yes,2026-09-01,{long_name},,")
    )
    ParticipantImport.objects.filter(pk=refused.pk).update(created_at=record.created_at)
    assert imports_expire(now=week_on) == 1
    refused.refresh_from_db()
    assert long_name not in str(refused.plan)
    assert refused.plan["errors"][0]["column"] == "preferred_name"
    page = client_for(lead).get(reverse("import_detail", args=[record.pk]))
    assert "This preview has expired" in page.content.decode()
    assert "Apply this import" not in page.content.decode()
    assert expire_previews.name == "programs.tasks.imports_expire"


def test_peerlog_changing_after_the_preview_refuses_the_apply(lead, participant):
    """Someone adds the same study ID between the preview and applying it:
    the plan the lead saw is not what would happen, so nothing is written."""
    record = _preview(client_for(lead), _csv(GOOD[0]))
    ParticipantFactory(study_id="NYC-0101", site=participant.site)

    with pytest.raises(ImportRefused, match="changed since this preview"):
        import_apply(user=lead, sites=[lead.led_sites.get()], record=record)
    assert Participant.objects.filter(study_id="NYC-0101").count() == 1


# --- bad cells ------------------------------------------------------------------------
BAD_CELLS = {
    "unknown site": ("NYC-0201,lon,yes,2026-09-01,,,", "site", "no site has this code"),
    "other site": ("NYC-0201,syd,yes,2026-09-01,,,", "site", "not a site you run"),
    "bad date": ("NYC-0201,nyc,yes,2026-02-30,,,", "enrolled_on", "YYYY-MM-DD"),
    "us date": ("NYC-0201,nyc,yes,09/01/2026,,,", "enrolled_on", "YYYY-MM-DD"),
    "formula": ("NYC-0201,nyc,yes,2026-09-01,=HYPERLINK(1),,", "preferred_name",
                "formula"),
    "formula id": ("=1+1,nyc,yes,2026-09-01,,,", "study_id", "letters, digits"),
    "consent": ("NYC-0201,nyc,maybe,2026-09-01,,,", "research_consent", "yes or no"),
    "no consent": ("NYC-0201,nyc,,2026-09-01,,,", "research_consent", "required"),
    "cohort": ("NYC-0201,nyc,yes,2026-09-01,,Autumn,", "cohort", "no cohort"),
    "quit first": ("NYC-0201,nyc,yes,2026-09-01,,,2026-08-01", "quit_date", "before"),
    "moved": ("SYD-0001,nyc,yes,2026-09-01,,,", "site", "another site"),
    "long name": ("NYC-0201,nyc,yes,2026-09-01," + "x" * 81 + ",,", "preferred_name",
                  "80"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_CELLS, ids=str)
def test_a_bad_cell_is_reported_by_row_and_column_and_nothing_is_written(
    case, lead, participant, other_participant, cohort
):
    line, column, words = BAD_CELLS[case]
    client = client_for(lead)
    before = Participant.objects.count()

    record = _preview(client, _csv(GOOD[0], line))

    assert [(e["row"], e["column"]) for e in record.plan["errors"]] == [(3, column)]
    assert words in record.plan["errors"][0]["message"]
    page = client.get(reverse("import_detail", args=[record.pk])).content.decode()
    assert "Apply this import" not in page and "Errors" in page
    assert client.post(reverse("import_apply", args=[record.pk])).status_code == 302
    assert Participant.objects.count() == before


def test_a_study_id_twice_in_the_file_names_the_first_row(lead):
    record = _preview(client_for(lead), _csv(GOOD[0], GOOD[1], GOOD[0]))
    assert [(e["row"], e["column"], e["message"]) for e in record.plan["errors"]] == [
        (4, "study_id", "also in row 2")
    ]


# --- bad files ------------------------------------------------------------------------
def _xlsx(rows, merge: str = "") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_bom_windows_line_ends_and_semicolons_read_like_plain_csv(lead):
    plain = read_table("a.csv", _csv(*GOOD))
    assert read_table("a.csv", _csv(*GOOD, bom=True, crlf=True)) == plain
    semicolons = _csv(
        *(r.replace(",", ";") for r in GOOD), header=HEADER.replace(",", ";")
    )
    assert read_table("a.csv", semicolons) == plain
    assert plain.header == COLUMNS and [n for n, _cells in plain.rows] == [2, 3, 4]


def test_an_excel_workbook_reads_like_the_csv_dates_and_numbers_included():
    rows = [
        COLUMNS,
        # Excel's dates are naive date-times.
        ["NYC-0101", "nyc", "yes", dt.datetime(2026, 9, 1), "Ana", None, None],  # noqa: DTZ001
        [4711, "nyc", True, dt.date(2026, 9, 2), None, None, dt.date(2026, 10, 1)],
    ]
    table = read_table("a.xlsx", _xlsx(rows))
    assert table.rows == [
        (2, ["NYC-0101", "nyc", "yes", "2026-09-01", "Ana"]),
        (3, ["4711", "nyc", "yes", "2026-09-02", "", "", "2026-10-01"]),
    ]


BAD_FILES = {
    "merged cells": (
        "a.xlsx",
        _xlsx([COLUMNS, ["NYC-1", "nyc", "yes", "2026-09-01"]], merge="A2:B2"),
        "merged cells (A2:B2)",
    ),
    "junk of 10 MB": ("a.csv", b"\x00\xff" * (5 * 1024 * 1024), "larger than 5 MB"),
    "binary junk": ("a.csv", b"\x00\x01\x02garbage" * 100, "binary"),
    "latin-1": ("a.csv", HEADER.encode() + b"\nNYC-1,nyc,yes,2026-09-01,Jos\xe9,,\n",
                "UTF-8"),
    "xls renamed": ("a.xls", b"\xd0\xcf\x11\xe0" + b"x" * 100, "save it as .xlsx"),
    "broken zip": ("a.xlsx", b"PK\x03\x04broken", "save it as .xlsx"),
    "header only": ("a.csv", (HEADER + "\r\n").encode(), "no rows"),
    "empty": ("a.csv", b"  \n", "empty"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_FILES, ids=str)
def test_a_file_that_cannot_be_read_is_refused_next_to_the_field(case, lead):
    name, data, words = BAD_FILES[case]
    response = _upload(client_for(lead), data, name)
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert any(words in error for error in errors), errors
    assert not ParticipantImport.objects.exists()


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    with pytest.raises(FileRefused, match="50 MB"):
        read_table("bomb.xlsx", out.getvalue())


def test_a_header_that_is_not_the_templates_says_what_is_wrong(lead):
    record = _preview(
        client_for(lead), _csv(GOOD[0], header="study_id,site,consent,enrolled_on")
    )
    message = record.plan["file_error"]
    assert "missing columns: research_consent" in message
    assert "unknown columns: consent" in message
    assert record.plan["add"] == []


# --- who ------------------------------------------------------------------------------
def test_a_supervisor_who_leads_no_site_sees_why_and_cannot_upload(supervisor):
    client = client_for(supervisor)
    page = client.get(reverse("import_page"))
    assert page.status_code == 200
    assert "You do not lead a site" in page.content.decode()
    assert _upload(client, _csv(GOOD[0])).status_code == 403
    assert AuditEvent.objects.filter(outcome="403").exists()


@pytest.mark.parametrize("role", [Role.MENTOR, Role.RESEARCH])
def test_mentors_and_research_staff_are_refused(role, site):
    user = UserFactory(roles=[role], sites=[site])
    client = client_for(user)
    assert client.get(reverse("import_page")).status_code == 403
    assert client.get(reverse("import_template", args=["csv"])).status_code == 403


def test_another_leads_import_is_not_found(lead, other_site, other_supervisor):
    record = _preview(client_for(lead), _csv(GOOD[0]))
    other_site.lead = other_supervisor
    other_site.save()
    client = client_for(other_supervisor)
    assert client.get(reverse("import_detail", args=[record.pk])).status_code == 404
    assert client.post(reverse("import_apply", args=[record.pk])).status_code == 404
    assert not Participant.objects.filter(study_id="NYC-0101").exists()


def test_an_admin_imports_for_every_site(admin_user, site, other_site, cohort):
    record = _preview(
        client_for(admin_user), _csv(GOOD[0], "SYD-0101,syd,yes,2026-09-01,,,")
    )
    assert len(record.plan["add"]) == 2 and record.plan["sites"] == sorted(
        [site.pk, other_site.pk]
    )


# --- the template and the cost --------------------------------------------------------
def test_the_templates_hold_the_columns(lead):
    client = client_for(lead)
    body = client.get(reverse("import_template", args=["csv"])).content.decode()
    assert next(csv.reader(io.StringIO(body.lstrip("\ufeff")))) == COLUMNS
    book = client.get(reverse("import_template", args=["xlsx"])).content
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    assert [cell.value for cell in sheet[1]] == COLUMNS
    assert read_table("t.csv", body.encode() + b"NYC-1,nyc,yes,2026-09-01\r\n").header


def test_a_preview_costs_the_same_queries_for_5_rows_or_500(lead, cohort):
    def rows(n):
        return _csv(
            *(f"NYC-{i:04d},nyc,yes,2026-09-01,,Spring 2026," for i in range(n))
        )

    def queries(data):
        with CaptureQueriesContext(connection) as captured:
            import_preview(
                user=lead, sites=[lead.led_sites.get()], name="a.csv", data=data
            )
        return len(captured)

    queries(rows(1))  # the importer's roles are read once, then kept on the user
    assert queries(rows(5)) == queries(rows(500))


# --- found in review (this session) ---------------------------------------------------
def test_a_tiny_workbook_claiming_a_huge_sheet_is_read_in_bounded_memory():
    """Found in review: a 5 KB .xlsx with one cell at XFD20000 made openpyxl
    build a cell for all 327 million positions. Only the template's columns
    and the row limit are read now."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    sheet.append(["NYC-0101", "nyc", "yes", "2026-09-01"])
    sheet["XFD1048576"] = "far away"
    out = io.BytesIO()
    book.save(out)
    assert len(out.getvalue()) < 10_000

    table = read_table("far.xlsx", out.getvalue())

    assert table.header == COLUMNS
    assert table.rows == [(2, ["NYC-0101", "nyc", "yes", "2026-09-01"])]


def test_a_study_id_matches_whatever_its_case(lead, participant):
    """Found in review: "nyc-0001" in a file was added as a second person."""
    record = _preview(client_for(lead), _csv("nyc-0001,nyc,yes,2026-01-05,Jay B.,,"))
    assert record.plan["add"] == []
    assert record.plan["change"][0]["study_id"] == "NYC-0001"


def test_an_import_does_not_change_an_existing_participants_consent(lead, participant):
    """Found in review: an import could set consent to no without taking the
    participant's reflections out of analysis (and without a reason)."""
    record = _preview(client_for(lead), _csv("NYC-0001,nyc,no,2026-01-05,,,"))
    assert [(e["column"], e["row"]) for e in record.plan["errors"]] == [
        ("research_consent", 2)
    ]
    assert "participant's page" in record.plan["errors"][0]["message"]


def test_a_value_past_the_templates_columns_is_an_error(lead):
    """Found in review: an unquoted "Smith, Jo" lost "Jo" without a word."""
    record = _preview(client_for(lead), _csv("NYC-0101,nyc,yes,2026-09-01,,,,Jo"))
    assert [(e["row"], e["message"][:22]) for e in record.plan["errors"]] == [
        (2, "a value past the templ")
    ]


def test_a_nul_anywhere_in_the_file_is_refused(lead):
    """Found in review: a NUL past the first 4 KB reached the JSON column
    (PostgreSQL refuses it: a 500)."""
    rows = [f"NYC-{i:04d},nyc,yes,2026-09-01,Name {i},," for i in range(200)]
    rows[150] = "NYC-9999,nyc,yes,2026-09-01,Na\x00me,,"
    response = _upload(client_for(lead), _csv(*rows))
    assert response.status_code == 400
    assert "Row 152 holds a NUL" in response.context["form"].errors["file"][0]


def test_an_applied_import_keeps_no_preferred_names_and_audits_each_person(
    lead, participant
):
    """Found in review: the applied import kept the enrolment list's names,
    and no audit row named the participants it created."""
    record = _preview(client_for(lead), _csv(*GOOD))
    import_apply(user=lead, sites=[lead.led_sites.get()], record=record)
    record.refresh_from_db()
    assert "Ana" not in str(record.plan) and "Jay B." not in str(record.plan)
    assert record.plan["change"][0]["changes"]["preferred_name"] == ["…", "…"]
    rows = AuditEvent.objects.filter(action="participants.import.row")
    created = Participant.objects.filter(study_id__in=["NYC-0101", "NYC-0102"])
    assert {(e.object_id, e.details.get("added")) for e in rows} >= {
        (str(p.pk), True) for p in created
    }
    assert rows.get(object_id=str(participant.pk)).details["fields"] == [
        "preferred_name"
    ]


def test_the_template_is_csv_or_xlsx_only(lead):
    client = client_for(lead)
    assert client.get(reverse("import_template", args=["exe"])).status_code == 404
