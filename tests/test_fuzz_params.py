"""INP: every query parameter and id under hypothesis (issue 11, finding 9).

tests/test_fuzz_forms.py posts hostile text into the forms; this module sends it
into the query string of every page. A malformed week, date, number or id gets
a clear 400, or is ignored with a message, never a 500: Unicode digits ("³"
passes `str.isdigit()`, "٣" passes `str.isdecimal()`, both then fail or
surprise `int()`), numbers no database column can hold (SQLite overflows),
weeks and dates at the ends of the calendar (the next week's link, the day
after an end date), empty values and NUL.

The pages come from the URL × role table in tests/test_permissions.py: every
routed GET page, for each role of the fixed cast that may see it. Their
parameters are listed here, next to a check that every parameter the code
reads (`request.GET.get("…")`, forms bound to `request.GET`) is listed.

Each test reuses its fixtures across examples (rows pile up; no assertion
counts them), so the function-scoped-fixture health check is off."""

import datetime as dt
import inspect
import re

import pytest
import time_machine
from django.test import Client
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import views as account_views
from audit import views as views_audit
from audit.forms import AuditFilterForm
from core.timeutils import parse_iso_week
from exports import views as views_export
from exports.forms import ExportForm
from exports.models import ExportRight
from logs_app import (
    views,
    views_dashboard,
    views_participant,
    views_review,
)
from logs_app.forms import LogFilterForm
from logs_app.models import InteractionLog
from supervision import views as views_supervision
from supervision.forms import FollowUpFilterForm
from supervision.models import FollowUpItem
from tests.conftest import NOW
from tests.factories import InteractionLogFactory
from tests.supervision.factories import FollowUpItemFactory
from tests.test_permissions import EXPECTED, ROLES, _route_names

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(autouse=True)
def _pinned_clock():
    """Thursday 19 Nov 2026, 15:00 in New York; the real clock is never read."""
    with time_machine.travel(NOW, tick=False):
        yield


# --- hostile values ------------------------------------------------------------------
WEEKS = [
    "9999-W52",
    "9999-W01",
    "0000-W01",
    "0001-W01",
    "1999-W52",
    "2101-W01",
    "2026-W53",  # 2026 has 53 weeks
    "2027-W53",  # 2027 does not
    "2026-W00",
    "2026-W54",
    "2026-w47",
    "2026-W47",
    "²⁰²⁶-W47",
    "٢٠٢٦-W٤٧",
    "2026-W4７",
    " 2026-W47 ",
    "+2026-W47",
    "2_026-W47",
    "-2026-W47",
    "99999999999999999999-W01",
]
DATES = [
    "9999-12-31",
    "9999-12-30",
    "0001-01-01",
    "0000-00-00",
    "2026-02-30",
    "2026-11-19",
    "٢٠٢٦-١١-١٩",
    "2026-11-19T00:00",
]
NUMBERS = [
    "³",
    "²",
    "٣",
    "௫",
    "７",
    "1³",
    "99999999999999999999",
    str(2**63),
    str(2**63 - 1),
    str(2**31),
    "-1",
    "0",
    "1",
    "14",
    "365",
    "366",
    "1e400",
    "inf",
    "nan",
    " 7 ",
    "+7",
    "0x10",
    "1_000",
]
SPECIAL = [*WEEKS, *DATES, *NUMBERS, "", "\x00", "a\x00b", "<script>", "%00", "ä" * 300]
values = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
)


# --- the pages and their parameters --------------------------------------------------
# Parameters a view reads itself, by URL name; forms bound to the query string
# add their fields below. "page" is every paginated list's.
OWN_PARAMS: dict[str, tuple[str, ...]] = {
    "log_list": ("page",),
    "log_create": ("participant",),
    "review_queue": ("page",),
    "followup_list": ("page",),
    "supervision_agenda": ("week",),
    "team_week": ("week",),
    "role_mix": ("week",),
    "engagement_gaps": ("days",),
    "team_reflections": ("week", "page"),
    "export_history": ("page",),
    "audit_list": ("page",),
    "login": ("next",),
    "two_factor_enrol": ("next",),
}
GET_FORMS = {
    "log_list": LogFilterForm,
    "audit_list": AuditFilterForm,
    "audit_export": AuditFilterForm,
    "export_page": ExportForm,
    "followup_list": FollowUpFilterForm,
}
# The views (and their helpers) that read the query string, by module.
VIEW_MODULES = (
    account_views,
    views,
    views_audit,
    views_dashboard,
    views_export,
    views_participant,
    views_review,
    views_supervision,
)


def page_params(name: str) -> list[str]:
    form = GET_FORMS.get(name)
    fields = list(form.base_fields) if form else []
    return sorted({*OWN_PARAMS.get(name, ()), *fields})


# The roles of the fixed cast (tests/conftest.py), by their column in the table.
CAST = {
    "anonymous": None,
    "mentor": "mentor",
    "other_mentor": "other_mentor",
    "supervisor": "supervisor",
    "other_supervisor": "other_supervisor",
    "staff": "staff",
    "admin": "admin_user",
    "nobody": "nobody",
}
# The admin site (Django's), and pages whose path holds a token, not an id.
SKIPPED = {"admin:index", "password_reset_confirm", "unsubscribe", "invitation_accept"}


def _takes_pk(name: str) -> bool:
    """Whether the page's path holds an id (`<int:pk>`)."""
    try:
        reverse(name)
    except NoReverseMatch:
        return True
    return False


def _viewers(name: str) -> list[str]:
    row = EXPECTED[name].get("GET")
    if row is None:
        return []
    return [
        role
        for role, answer in zip(ROLES, row, strict=True)
        if role in CAST and answer == 200
    ]


PAGES = sorted(name for name in EXPECTED if name not in SKIPPED and _viewers(name))


def test_every_page_is_fuzzed_or_skipped_on_purpose():
    assert (
        set(PAGES) | SKIPPED | {name for name in EXPECTED if not _viewers(name)}
        == _route_names()
    )
    assert set(OWN_PARAMS) | set(GET_FORMS) <= set(PAGES)


def test_every_query_parameter_the_views_read_is_fuzzed():
    read = set()
    for module in VIEW_MODULES:
        source = inspect.getsource(module)
        read |= set(re.findall(r"request\.GET(?:\.get\(|\[)\"(\w+)\"", source))
    listed = {param for name in PAGES for param in page_params(name)}
    assert read <= listed, read - listed


def _export_job(staff):
    """A finished CSV export of `staff`, for the export_* pages."""
    from exports.filters import ExportFilters
    from exports.jobs import export_job_run
    from exports.services import export_job_create

    ExportRight.objects.create(user=staff, level="coded", granted_at=NOW)
    job = export_job_create(
        user=staff, filters=ExportFilters(), level="coded", fmt="csv"
    )
    export_job_run(job.pk)
    return job


@pytest.fixture
def cast(request, log, other_log, settings, tmp_path):
    """Signed-in clients of the fixed cast, built on first use, and the id
    each page with one in its path is about."""
    settings.PEERLOG_EXPORT_DIR = str(tmp_path / "exports")
    clients: dict[str, Client] = {}

    def client(role: str) -> Client:
        if role not in clients:
            clients[role] = Client(raise_request_exception=True)
            if CAST[role] is not None:
                user = request.getfixturevalue(CAST[role])
                clients[role].force_login(getattr(user, "user", user))
        return clients[role]

    jobs: list = []

    def pk(name: str) -> int:
        """The id of the object the page is about; a log unless named here."""
        if name.startswith("export_"):
            jobs[:] = jobs or [_export_job(request.getfixturevalue("staff"))]
            return jobs[0].pk
        if name.startswith("followup_"):
            item = FollowUpItem.objects.filter(log=log).first()
            return (item or FollowUpItemFactory(log=log)).pk
        return log.participant_id if name == "participant_detail" else log.pk

    return client, pk


def _not_500(response, what) -> None:
    assert response.status_code < 500, (response.status_code, what)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


# --- the fuzzer ----------------------------------------------------------------------
def _fuzz_page(cast, name: str, data) -> None:
    client, own_pk = cast
    role = data.draw(st.sampled_from(_viewers(name)), label="role")
    params = page_params(name)
    query = data.draw(
        st.dictionaries(
            # Pages that read no parameter must ignore unknown ones.
            st.sampled_from(params) if params else st.text(min_size=1, max_size=8),
            st.one_of(values, st.lists(values, min_size=1, max_size=3)),
            max_size=max(len(params), 1),
        ),
        label="query",
    )
    args = []
    if _takes_pk(name):
        # The page's own object, or any id up to 25 digits (SQLite holds 19).
        pk = data.draw(
            st.one_of(st.none(), st.integers(min_value=0, max_value=10**25)),
            label="pk",
        )
        args = [own_pk(name) if pk is None else pk]
    path = reverse(name, args=args)
    _not_500(client(role).get(path, query), (role, path, query))


@pytest.mark.parametrize("name", [name for name in PAGES if page_params(name)])
@FUZZ
@given(data=st.data())
def test_no_query_parameter_gives_500(cast, name, data):
    """Issue 11 finding 9: every GET parameter of every page, for every role
    that can see the page, with hostile values: never a 500."""
    _fuzz_page(cast, name, data)


@pytest.mark.parametrize("name", [name for name in PAGES if not page_params(name)])
@settings(FUZZ, max_examples=8)
@given(data=st.data())
def test_pages_without_parameters_ignore_unknown_ones(cast, name, data):
    """Issue 11 finding 9: pages that read no parameter ignore any given, and
    an id in the path no column can hold is a 404, not a 500."""
    _fuzz_page(cast, name, data)


# --- the cases from the report, one by one -------------------------------------------
def test_the_week_parser_is_bounded_and_ascii():
    """Issue 11 finding 9: one ISO week parser, for years the app can represent
    (a week's neighbours must stay inside the calendar), week 53 only where the
    year has one, ASCII digits only."""
    assert parse_iso_week("2026-W47") == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert parse_iso_week("2026-w47") == parse_iso_week("2026-W47")
    assert parse_iso_week("2026-W53") == (dt.date(2026, 12, 28), dt.date(2027, 1, 3))
    for bad in (
        "9999-W52",
        "0000-W01",
        "1999-W52",
        "2101-W01",
        "2027-W53",
        "2026-W00",
        "٢٠٢٦-W٤٧",
        "²⁰²⁶-W47",
        "+2026-W47",
        "2_026-W47",
        "2026-W4",
        "",
        "\x00",
    ):
        assert parse_iso_week(bad) is None, bad


@pytest.mark.parametrize(
    ("who", "url", "query"),
    [
        ("mentor", "log_list", {"week": "9999-W52"}),
        ("supervisor", "supervision_agenda", {"week": "9999-W52"}),
        ("supervisor", "team_week", {"week": "9999-W52"}),
        ("supervisor", "team_reflections", {"week": "9999-W52"}),
        ("supervisor", "role_mix", {"week": "0001-W01"}),
        ("admin", "audit_list", {"date_to": "9999-12-31"}),
        ("admin", "audit_list", {"date_from": "0001-01-01"}),
        ("admin", "audit_export", {"date_to": "9999-12-31"}),
        ("supervisor", "engagement_gaps", {"days": "³"}),
        ("supervisor", "engagement_gaps", {"days": "٣"}),
        ("mentor", "log_create", {"participant": "³"}),
        ("mentor", "log_create", {"participant": "9" * 20}),
        ("admin", "export_page", {"mentors": "³"}),
        ("admin", "export_page", {"sites": "³"}),
        ("admin", "export_page", {"cohorts": "³"}),
        ("admin", "export_page", {"until": "9999-12-31"}),
    ],
)
def test_reported_parameters_give_no_500(cast, who, url, query):
    """Issue 11 finding 9: the reported 500s, each answered with 200 and a
    message (the value ignored) or a form error."""
    client, _pk = cast
    _not_500(client(who).get(reverse(url), query), query)


@pytest.mark.parametrize(
    "query", [{"date_to": "9999-12-31"}, {"date_from": "٢٠٢٦-١١-١٩"}, {"actor": "\x00"}]
)
def test_audit_export_with_a_filter_it_cannot_read_is_a_400(cast, query):
    """Issue 11 finding 9: /audit/export.csv?date_to=9999-12-31 overflowed; a
    filter the export cannot read is a 400 with the error, never a file of
    every event."""
    client, _pk = cast
    response = client("admin").get(reverse("audit_export"), query)
    assert response.status_code == 400
    assert not getattr(response, "streaming", False)
    assert response.context["form"].errors


def test_autosave_version_with_a_unicode_digit_is_ignored(cast, log):
    """Issue 11 finding 9: the autosave's `version` "³" is not a version."""
    client, _pk = cast
    for version in ("³", "٣", "9" * 20):
        response = client("mentor").post(
            reverse("log_autosave", args=[log.pk]),
            {"narrative": "Typing a change", "version": version},
        )
        assert response.status_code == 200
    assert log.autosaves.get().base_version == log.version


@pytest.mark.parametrize("value", ["³", "٣", "9" * 20, str(2**63), "-1", ""])
def test_bulk_review_ignores_ids_that_are_not_ids(cast, log, value):
    """Issue 11 finding 9: bulk review's `log=` and `v<id>=` take ASCII ids that
    fit a database integer; others are ignored (a 20-digit id overflowed SQLite)."""
    client, _pk = cast
    response = client("supervisor").post(
        reverse("review_bulk"), {"log": [value], f"v{value}": "1"}
    )
    assert response.status_code == 302
    response = client("supervisor").post(
        reverse("review_bulk"),
        {"log": [str(log.pk), value], f"v{log.pk}": value, f"v{value}": value},
    )
    assert response.status_code == 302
    assert InteractionLog.objects.get(pk=log.pk).status == "submitted"


@FUZZ
@given(ids=st.lists(values, max_size=4), versions=st.lists(values, max_size=4))
def test_bulk_review_fuzzed(cast, mentor, participant, ids, versions):
    """Issue 11 finding 9: bulk review with hostile ids and versions."""
    client, _pk = cast
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    data = {"log": [*ids, str(log.pk)]}
    for value, version in zip(ids, versions, strict=False):
        data[f"v{value}"] = version
    response = client("supervisor").post(reverse("review_bulk"), data)
    _not_500(response, data)


@pytest.mark.parametrize("value", ["³", "٣", "9" * 20, str(2**63), "-1"])
def test_log_form_option_ids_that_are_not_ids_are_field_errors(cast, log, value):
    """Issue 11 finding 9: a technique id no column can hold is a field error,
    not an overflow inside SQLite's driver (Django's `pk__in` check)."""
    client, _pk = cast
    data = {
        "idempotency_key": str(log.idempotency_key),
        "version": str(log.version),
        "participant": str(log.participant_id),
        "outcome": "met",
        "contact_date": "2026-11-16",
        "techniques": [value],
    }
    response = client("mentor").post(reverse("log_edit", args=[log.pk]), data)
    assert response.status_code == 400
    assert "techniques" in response.context["form"].errors


@FUZZ
@given(
    techniques=st.lists(values, max_size=3),
    participant=values,
    version=values,
)
def test_log_form_ids_fuzzed(cast, mentor, log, techniques, participant, version):
    """Issue 11 finding 9: the log form's id fields (ModelChoiceField,
    ModelMultipleChoiceField, IntegerField) refuse Unicode digits and ids no
    column can hold with a field error, on SQLite too."""
    client, _pk = cast
    data = {
        "idempotency_key": str(log.idempotency_key),
        "participant": participant,
        "techniques": techniques,
        "topics": techniques,
        "role_functions": techniques,
        "version": version,
        "outcome": "met",
        "contact_date": "2026-11-16",
    }
    for url in (reverse("log_edit", args=[log.pk]), reverse("log_autosave_new")):
        _not_500(client("mentor").post(url, data), (url, data))
