"""Issue 16, the token × endpoint matrix (API-1, AZ-13): every data endpoint
answers a live token and refuses every other kind with a 401 and an audit row
naming why; a site withdrawn from the owner drops out of what a token reads.

To add an endpoint, add one `Endpoint` to ENDPOINTS: its route name, and how
to read the site of each row it returns (for the withdrawn-site case)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.tokens import token_create, token_revoke
from api.v1 import api
from audit.models import AuditEvent
from core.roles import Role
from exports.models import ExportRight
from participants.models import Site, SiteAccess
from tests.factories import (
    CohortFactory,
    InteractionLogFactory,
    ParticipantFactory,
    UserFactory,
)


@dataclass(frozen=True)
class Endpoint:
    name: str  # the route's name in the api-v1 namespace
    # The sites of the rows it returned; None for an endpoint whose answer is
    # not about sites (option lists, the codebook): the site cases skip it.
    row_sites: Callable[[object], set[int]] | None

    def __str__(self) -> str:
        return self.name


def _measure_sites(page) -> set[int]:
    return set(Site.objects.filter(code__in={r["site_code"] for r in page["data"]})
               .values_list("pk", flat=True))  # fmt: skip


ENDPOINTS = [
    Endpoint("api-v1:sites", lambda rows: {row["id"] for row in rows}),
    Endpoint("api-v1:cohorts", lambda rows: {row["site_id"] for row in rows}),
    Endpoint("api-v1:options", None),
    Endpoint("api-v1:codebook", None),
    Endpoint("api-v1:participant_measures", _measure_sites),
]
# Routes in the matrix of their own tests: a project's final codes
# (tests/api/test_reference.py: scope, consent, 404 outside), and
# The logs (tests/api/test_logs.py: sites outside the token, levels, expiry,
# revocation, each refused and audited).
OWN_TESTS = {
    "api-v1:analysis_final_codes",
    "api-v1:logs",
    "api-v1:logs_csv",
    "api-v1:logs_ndjson",
}
SITE_SCOPED = [endpoint for endpoint in ENDPOINTS if endpoint.row_sites is not None]


# --- the owner and their token ------------------------------------------------------
@pytest.fixture
def owner(db, site, other_site):
    """Research staff with the "text" right at both sites, one cohort and one
    log with a CO reading at each."""
    user = UserFactory(username="res", roles=[Role.RESEARCH], sites=[site, other_site])
    ExportRight.objects.create(user=user, level="text", granted_at=timezone.now())
    for where in (site, other_site):
        CohortFactory(site=where)
        InteractionLogFactory(participant=ParticipantFactory(site=where), co_ppm=9)
    return user


@pytest.fixture
def make_token(owner, site, other_site):
    def make(days: int = 30, level: str = "text"):
        return token_create(
            user=owner,
            name="matrix",
            level=level,
            site_ids=[site.pk, other_site.pk],
            days=days,
        )

    return make


def _get(endpoint: Endpoint, bearer: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"} if bearer else {}
    return Client().get(reverse(endpoint.name), **headers)


# --- ways a token is refused: each returns the bearer value to send ------------------
def _expired(make_token, owner):
    return make_token(days=1).plain


def _revoked(make_token, owner):
    created = make_token()
    token_revoke(actor=owner, token=created.token)
    return created.plain


def _unknown(make_token, owner):
    make_token()
    return "plg_deadbeef_" + "A" * 43  # well formed, no such token


def _wrong_secret(make_token, owner):
    plain = make_token().plain
    return plain[:-4] + ("AAAA" if not plain.endswith("AAAA") else "BBBB")


def _malformed(make_token, owner):
    make_token()
    return "not-a-peerlog-token"


def _inactive(make_token, owner):
    created = make_token()
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    return created.plain


def _right_lowered(make_token, owner):
    created = make_token(level="text")
    ExportRight.objects.filter(user=owner).update(level="coded")
    return created.plain


def _right_removed(make_token, owner):
    created = make_token(level="coded")
    ExportRight.objects.filter(user=owner).delete()
    return created.plain


REFUSALS = {
    "expired": (_expired, "expired"),  # sent a day and a second later
    "revoked": (_revoked, "revoked"),
    "unknown": (_unknown, "unknown"),
    "wrong_secret": (_wrong_secret, "unknown"),
    "malformed": (_malformed, "malformed"),
    "inactive_owner": (_inactive, "inactive"),
    "right_lowered_below_token": (_right_lowered, "level"),
    "right_removed": (_right_removed, "level"),
}


# --- the matrix ---------------------------------------------------------------------
@pytest.mark.parametrize("endpoint", SITE_SCOPED, ids=str)
def test_a_live_token_reads_every_site_it_was_given(
    endpoint, make_token, site, other_site
):
    response = _get(endpoint, make_token().plain)
    assert response.status_code == 200, response.content
    assert endpoint.row_sites(response.json()) == {site.pk, other_site.pk}
    event = AuditEvent.objects.get(action="api.request")
    assert event.details["endpoint"] == reverse(endpoint.name)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_a_refused_token_is_401_and_audited_with_the_reason(
    endpoint, case, make_token, owner
):
    arrange, reason = REFUSALS[case]
    bearer = arrange(make_token, owner)
    later = dt.timedelta(days=1, seconds=1) if case == "expired" else dt.timedelta()
    with time_machine.travel(timezone.now() + later):
        response = _get(endpoint, bearer)
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers
    event = AuditEvent.objects.get(action="api.auth.refused")
    assert event.outcome == "401"
    assert event.details["reason"] == reason
    assert event.details["path"] == reverse(endpoint.name)
    secret = bearer.split("_", 2)[-1]
    assert secret not in str(event.details)  # the prefix at most, never the secret
    assert not AuditEvent.objects.filter(action="api.request").exists()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_no_token_is_401_and_audited(endpoint, client, db):
    """Found in review (issue 16): a request with no bearer token at all was
    refused before the token check, so its 401 left no audit row."""
    assert _get(endpoint, None).status_code == 401
    other = client.get(reverse(endpoint.name), HTTP_AUTHORIZATION="Basic dTpw")
    assert other.status_code == 401

    events = AuditEvent.objects.filter(action="api.auth.refused")
    assert [(e.outcome, e.details["reason"]) for e in events] == [
        ("401", "no bearer token")
    ] * 2
    assert {e.details["path"] for e in events} == {reverse(endpoint.name)}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_a_token_works_until_the_instant_it_expires(endpoint, make_token):
    created = make_token(days=1)
    expires = created.token.expires_at
    with time_machine.travel(expires - dt.timedelta(seconds=2), tick=False):
        assert _get(endpoint, created.plain).status_code == 200
    with time_machine.travel(expires, tick=False):
        assert _get(endpoint, created.plain).status_code == 401


@pytest.mark.parametrize("endpoint", SITE_SCOPED, ids=str)
def test_a_site_withdrawn_from_the_owner_is_no_longer_read(
    endpoint, make_token, owner, site, other_site
):
    plain = make_token().plain
    SiteAccess.objects.filter(user=owner, site=other_site).delete()
    response = _get(endpoint, plain)
    assert response.status_code == 200
    assert endpoint.row_sites(response.json()) == {site.pk}


@pytest.mark.parametrize("endpoint", SITE_SCOPED, ids=str)
def test_a_token_reads_only_the_sites_it_was_given(endpoint, owner, site):
    # The owner holds both sites; the token was given one.
    plain = token_create(
        user=owner, name="one", level="coded", site_ids=[site.pk], days=30
    ).plain
    assert endpoint.row_sites(_get(endpoint, plain).json()) == {site.pk}


def test_every_data_route_of_the_api_is_in_the_matrix():
    """A new endpoint fails here until it has an Endpoint row above."""
    patterns, _app, namespace = api.urls
    documentation = {"openapi-json", "openapi-view", "api-root"}
    routes = {f"{namespace}:{p.name}" for p in patterns if p.name not in documentation}
    assert routes - OWN_TESTS == {endpoint.name for endpoint in ENDPOINTS}
