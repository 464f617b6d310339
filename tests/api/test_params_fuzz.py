"""Issue 16: the logs endpoints' query parameters under hypothesis. Whatever
the query string holds (unknown names, repeated names, Unicode digits,
numbers no column can hold, dates at the ends of the calendar, offsets, NUL,
forged cursors), the answer is a 200, a 400 naming the parameter, or a 403
(a site or cohort outside the token), never a 500; every answer is audited.

The fixtures are reused across examples (rows pile up; no assertion counts
them), so the function-scoped-fixture health check is off."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.params import PAGE_ONLY, REPEATABLE, SINGLE
from api.tokens import token_create
from audit.models import AuditEvent
from exports.models import ExportRight
from tests.conftest import NOW
from tests.factories import InteractionLogFactory

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
NAMES = SINGLE + REPEATABLE + PAGE_ONLY
ODD = [
    "", " ", "0", "-1", "+1", "1.0", "1e3", "٣", "³", "１", "\0", "null", "true",
    "False", "99999999999999999999", str(2**63), "500", "501", "2026-11-01",
    "2026-02-30", "0001-01-01", "9999-12-31", "20261101", "2026-W44-1",
    "2026-11-01T00:00:00", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00+14:00",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-11-01 00:00Z",
    "coded", "text", "full", "none", "met", "no_show", "draft", "reviewed",
    "MTIzLmFiYw", "AAAA", "====", "plg_x_y",
]  # fmt: skip
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30
)  # no lone surrogates: they cannot be UTF-8 in a URL


@pytest.fixture
def token(staff, site, participant, mentor):
    ExportRight.objects.create(user=staff, level="text", granted_at=NOW)
    InteractionLogFactory.create_batch(3, mentor=mentor, participant=participant)
    return token_create(
        user=staff, name="fuzz", level="coded", site_ids=[site.pk], days=30
    ).plain


def _values(site_id: int):
    return st.one_of(st.sampled_from(ODD), st.just(str(site_id)), TEXT)


@pytest.mark.parametrize("name", ["api-v1:logs", "api-v1:logs_ndjson"])
@FUZZ
@given(draw=st.data())
def test_no_query_string_gives_a_500(client, token, site, name, draw):
    pairs = draw.draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(NAMES), TEXT.filter(bool)),
                _values(site.pk),
            ),
            max_size=6,
        )
    )
    query: dict[str, list[str]] = {}
    for key, value in pairs:
        query.setdefault(key, []).append(value)
    before = AuditEvent.objects.filter(action="api.request").count()
    # Each example is a fresh minute for the rate limit (tests/api has its
    # own 429 test): on a quiet machine the examples outran 120 a minute.
    cache.clear()

    response = client.get(reverse(name), query, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code in (200, 400, 403), (query, response.content)
    if response.status_code != 200:
        detail = response.json()["detail"]
        # "name: why"; a name may hold ":" itself (hypothesis sent ":").
        named = [key for key in (*query, *NAMES) if detail.startswith(f"{key}: ")]
        assert named, detail
        assert named[0] in query or (response.status_code == 403 and named[0] in NAMES)
    elif name == "api-v1:logs":
        page = response.json()
        assert page["count"] == len(page["data"])
    else:
        b"".join(response.streaming_content)  # the audit row is written at the end
    assert AuditEvent.objects.filter(action="api.request").count() == before + 1


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"since": "2026-02-30"}, "since"),
        ({"until": "20261101"}, "until"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "until"),
        ({"site": "٣"}, "site"),
        ({"cohort": "0"}, "cohort"),
        ({"mentor": "99999999999999999999"}, "mentor"),
        ({"outcome": "draft"}, "outcome"),
        ({"status": "draft"}, "status"),  # drafts never
        ({"include_voided": "yes"}, "include_voided"),
        ({"level": "none"}, "level"),
        ({"updated_since": "2026-11-01"}, "updated_since"),
        ({"updated_since": "2026-11-01T00:00:00"}, "updated_since"),  # no offset
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": ["5", "6"]}, "limit"),
        ({"cursor": "MTIzLmFiYw"}, "cursor"),
        ({"sites": "1"}, "sites"),  # a typo is not silently ignored
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, token, query, named):
    response = client.get(
        reverse("api-v1:logs"), query, HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{named}: ")
    event = AuditEvent.objects.get(action="api.request")
    assert (event.outcome, event.details["parameter"]) == ("400", named)


def test_a_full_pull_takes_no_cursor_or_limit(client, token):
    for name in ("cursor", "limit"):
        response = client.get(
            reverse("api-v1:logs_csv"),
            {name: "1"},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        assert response.status_code == 400
        assert response.json()["detail"] == f"{name}: unknown parameter"


def test_a_mentor_outside_the_owners_reach_is_a_403_naming_it(
    client, token, other_mentor
):
    """Found by the query fuzz on PostgreSQL: the export check's refusal of
    a mentor the owner cannot see answered "a mentor outside the user's
    scope", naming no parameter."""
    response = client.get(
        reverse("api-v1:logs"),
        {"mentor": str(other_mentor.pk)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "mentor: a mentor outside the user's scope"
