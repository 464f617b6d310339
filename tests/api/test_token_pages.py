"""Issue 16, the personal access token pages and the admin (API-1): who may
use them, a token made only with a fresh authenticator code, the secret shown
once and stored hashed, refusals kept next to their field and audited, revoke
by the owner (another's token is a 404) and by an admin (audited)."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.models import ApiToken
from api.tokens import token_create
from audit.models import AuditEvent
from core.roles import Role
from exports.models import ExportRight
from tests.accounts.conftest import totp_code
from tests.factories import SiteFactory, UserFactory

LIST = "/accounts/tokens/"
NEW = "/accounts/tokens/new/"
STEP = dt.timedelta(seconds=30)  # one TOTP time step: the next code differs


def _with_right(user, level: str = "coded"):
    ExportRight.objects.create(user=user, level=level, granted_at=timezone.now())
    return user


@pytest.fixture
def researcher(db, site, other_site):
    """Research staff with a coded export right at `site` and `other_site`,
    and an authenticator app."""
    user = UserFactory(username="res", roles=[Role.RESEARCH], sites=[site, other_site])
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return _with_right(user)


@pytest.fixture
def device(researcher):
    return TOTPDevice.objects.get(user=researcher)


@pytest.fixture
def signed_in(researcher) -> Client:
    client = Client()
    client.force_login(researcher)
    return client


def _form(site, device=None, **extra) -> dict:
    data = {"name": "Nightly pull", "level": "coded", "sites": [site.pk], "days": 30}
    if device is not None:
        data["code"] = totp_code(device)
    return {**data, **extra}


def _refusals() -> list[dict]:
    return list(
        AuditEvent.objects.filter(action="api.token.refused").values_list(
            "details", flat=True
        )
    )


# --- who may use the pages --------------------------------------------------------
@pytest.fixture
def research_without_right(db, site):
    return UserFactory(username="res_none", roles=[Role.RESEARCH], sites=[site])


@pytest.mark.parametrize("url", [LIST, NEW])
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("researcher", 200),
        ("research_without_right", 403),
        ("supervisor", 403),
        ("mentor", 403),
        ("admin_user", 200),  # admins hold the full export right by their role
    ],
)
def test_the_pages_are_for_people_with_an_export_right(
    db, request, url, role, expected
):
    user = request.getfixturevalue(role)
    user = getattr(user, "user", user)  # a Mentor profile → its User
    TOTPDevice.objects.get_or_create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    assert client.get(url).status_code == expected


@pytest.mark.parametrize("url", [LIST, NEW, "/accounts/tokens/1/revoke/"])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_the_list_says_when_there_are_no_tokens(signed_in):
    response = signed_in.get(LIST)
    assert "You have no API tokens yet." in response.text
    assert NEW in response.text


def test_someone_without_an_authenticator_is_sent_to_set_one_up(signed_in, device):
    device.delete()
    response = signed_in.get(NEW)
    assert response.status_code == 302
    assert (
        response["Location"]
        == "/accounts/two-factor/setup/?next=%2Faccounts%2Ftokens%2Fnew%2F"
    )


def test_the_account_page_links_to_the_tokens_for_research_staff_only(
    signed_in, mentor
):
    assert LIST in signed_in.get(reverse("account_security")).text
    client = Client()
    client.force_login(mentor.user)
    assert LIST not in client.get(reverse("account_security")).text


def test_only_the_levels_of_the_right_are_offered(signed_in):
    # `researcher` holds "coded": "text" is not offered (nor "full").
    html = signed_in.get(NEW).text
    assert 'value="coded"' in html
    assert 'value="text"' not in html and 'value="full"' not in html


# --- the secret, once -------------------------------------------------------------
def test_a_token_is_made_and_its_secret_shown_once(signed_in, researcher, site, device):
    response = signed_in.post(NEW, _form(site, device, name="  R   nightly "))
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    secret = re.search(rf"plg_{token.prefix}_[A-Za-z0-9_-]+", response.text).group()
    assert "only time it is shown" in response.text
    assert (token.user, token.name, token.level) == (researcher, "R nightly", "coded")
    assert list(token.sites.all()) == [site]
    lasts = token.expires_at - token.created_at  # both read the (ticking) clock
    assert abs(lasts - dt.timedelta(days=30)) < dt.timedelta(seconds=5)
    # The database holds the SHA-256 of the part after the prefix, nothing more.
    plain_part = secret.split("_", 2)[2]
    assert token.secret_hash == hashlib.sha256(plain_part.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert plain_part not in str(row)
    assert plain_part not in str(list(AuditEvent.objects.values("details")))
    # Not in a message, the session or a cookie, and not on the list after.
    assert list(get_messages(response.wsgi_request)) == []
    assert plain_part not in str(dict(signed_in.session.items()))
    assert plain_part not in str(signed_in.cookies)
    listing = signed_in.get(LIST)
    assert plain_part not in listing.text
    assert f"plg_{token.prefix}_…" in listing.text
    assert AuditEvent.objects.filter(action="api.token.create").count() == 1


def test_the_copy_button_is_a_static_script(signed_in, site, device):
    html = signed_in.post(NEW, _form(site, device)).text
    assert 'src="/static/js/copy.js"' in html
    assert "<script>" not in html  # CSP: no inline script (CFG-3)


# --- refusals: next to the field, what was typed kept (but the code), audited ------
def test_no_code_is_refused_and_audited(signed_in, site):
    response = signed_in.post(NEW, _form(site, name="Stata pull"))
    assert response.status_code == 400
    assert "code" in response.context["form"].errors
    assert 'value="Stata pull"' in response.text
    assert not ApiToken.objects.exists()
    assert _refusals() == [{"fields": ["code"]}]


def test_a_wrong_code_is_refused_audited_and_not_typed_back(signed_in, site, device):
    good = totp_code(device)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = signed_in.post(NEW, _form(site, code=wrong, name="Stata", days=12))
    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    assert 'value="Stata"' in response.text and 'value="12"' in response.text
    assert wrong not in response.text
    assert not ApiToken.objects.exists()
    assert _refusals() == [{"fields": ["code"]}]


def test_a_wrong_code_throttles_the_authenticator(signed_in, site, device):
    # django-otp waits 1 s after one failure (doubling each time), shared with
    # the sign-in's second step: guessing is slow everywhere.
    good = totp_code(device)
    signed_in.post(NEW, _form(site, code=f"{(int(good) + 1) % 1_000_000:06d}"))
    assert signed_in.post(NEW, _form(site, device)).status_code == 400
    assert not ApiToken.objects.exists()


def test_a_code_works_once(signed_in, site, device):
    code = totp_code(device)
    assert signed_in.post(NEW, _form(site, code=code)).status_code == 201
    again = signed_in.post(NEW, _form(site, code=code, name="Second"))
    assert again.status_code == 400
    assert ApiToken.objects.count() == 1


def test_a_second_token_needs_the_next_code(signed_in, site, device):
    assert signed_in.post(NEW, _form(site, device)).status_code == 201
    with time_machine.travel(timezone.now() + STEP):
        assert signed_in.post(NEW, _form(site, device, name="B")).status_code == 201
    assert ApiToken.objects.count() == 2


def test_a_level_above_the_right_is_refused(signed_in, site, device):
    response = signed_in.post(NEW, _form(site, device, level="text"))
    assert response.status_code == 400
    assert response.context["form"].errors["level"] == [
        "This level is above your export right."
    ]
    assert not ApiToken.objects.exists()
    assert _refusals() == [{"fields": ["level"]}]


def test_a_site_outside_the_right_is_refused(signed_in, site, device):
    elsewhere = SiteFactory(code="lon", name="London")
    response = signed_in.post(NEW, _form(site, device, sites=[site.pk, elsewhere.pk]))
    assert response.status_code == 400
    assert response.context["form"].errors["sites"] == ["Choose sites among your own."]
    assert not ApiToken.objects.exists()
    assert _refusals() == [{"fields": ["sites"]}]


@pytest.mark.parametrize("days", ["0", "91", "-1", "", "thirty"])
def test_days_outside_one_to_ninety_are_refused(signed_in, site, device, days):
    response = signed_in.post(NEW, _form(site, device, days=days))
    assert response.status_code == 400
    assert response.context["form"].errors["days"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("days", [1, 90])
def test_one_and_ninety_days_are_accepted(signed_in, site, device, days):
    assert signed_in.post(NEW, _form(site, device, days=days)).status_code == 201
    token = ApiToken.objects.get()
    lasts = token.expires_at - token.created_at
    assert abs(lasts - dt.timedelta(days=days)) < dt.timedelta(seconds=5)


def test_no_site_ticked_is_refused(signed_in, site, device):
    response = signed_in.post(NEW, _form(site, device, sites=[]))
    assert response.context["form"].errors["sites"] == ["Choose at least one site."]


# --- revoke -------------------------------------------------------------------------
def _token(user, site, name="T"):
    return token_create(
        user=user, name=name, level="coded", site_ids=[site.pk], days=30
    ).token


def test_the_owner_revokes_a_token_after_confirming(signed_in, researcher, site):
    token = _token(researcher, site)
    url = reverse("api_token_revoke", args=[token.pk])
    assert "Revoke the token" in signed_in.get(url).text
    token.refresh_from_db()
    assert token.revoked_at is None  # GET only asks
    response = signed_in.post(url)
    assert response.status_code == 302 and response["Location"] == LIST
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == researcher
    signed_in.post(url)  # twice: one revocation, one audit row
    assert AuditEvent.objects.filter(action="api.token.revoke").count() == 1
    assert "Revoked" in signed_in.get(LIST).text


def test_another_users_token_is_a_404(signed_in, site):
    other = _with_right(UserFactory(roles=[Role.RESEARCH], sites=[site]))
    token = _token(other, site)
    url = reverse("api_token_revoke", args=[token.pk])
    assert signed_in.get(url).status_code == 404
    assert signed_in.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_list_reads_in_two_queries(
    signed_in, researcher, site, other_site, django_assert_num_queries
):
    for name in "ABC":
        token = _token(researcher, site, name)
        token.sites.add(other_site)
    signed_in.get(LIST)  # warm the session and the user
    # session, user, groups (the role), the export right, the tokens, their sites
    with django_assert_num_queries(6):
        html = signed_in.get(LIST).text
    assert html.count("New York, Sydney") == 3


# --- the admin ----------------------------------------------------------------------
@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_admin_lists_tokens_without_their_hash(admin_client, researcher, site):
    token = _token(researcher, site)
    changelist = admin_client.get(reverse("admin:api_apitoken_changelist"))
    assert changelist.status_code == 200
    assert f"plg_{token.prefix}_…" in changelist.text
    detail = admin_client.get(reverse("admin:api_apitoken_change", args=[token.pk]))
    assert detail.status_code == 200
    assert token.secret_hash not in changelist.text + detail.text
    assert admin_client.get(reverse("admin:api_apitoken_add")).status_code == 403


def test_the_admin_revokes_the_chosen_tokens(
    admin_client, admin_user, researcher, site
):
    chosen, kept = _token(researcher, site, "A"), _token(researcher, site, "B")
    response = admin_client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [chosen.pk]},
    )
    assert response.status_code == 302
    chosen.refresh_from_db()
    kept.refresh_from_db()
    assert chosen.revoked_by == admin_user and kept.revoked_at is None
    event = AuditEvent.objects.get(action="api.token.revoke")
    assert event.actor == admin_user
    assert event.details == {"token": chosen.prefix, "owner": researcher.pk}


def test_the_admin_revokes_all_tokens_of_the_chosen_users(
    admin_client, admin_user, researcher, site
):
    other = _with_right(UserFactory(roles=[Role.RESEARCH], sites=[site]))
    mine = [_token(researcher, site, n) for n in "AB"]
    theirs = _token(other, site)
    response = admin_client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke_all_of_owners", "_selected_action": [mine[0].pk]},
    )
    assert response.status_code == 302
    assert set(
        ApiToken.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)
    ) == {t.pk for t in mine}
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    event = AuditEvent.objects.get(action="api.token.revoke_all")
    assert event.actor == admin_user
    assert event.details["owner"] == researcher.pk
    assert sorted(event.details["tokens"]) == sorted(t.prefix for t in mine)


# --- INP: the form under hypothesis ----------------------------------------------
TEXT = st.one_of(
    st.sampled_from(["\x00", "<script>x</script>", "=1+1", "x" * 500, "٣", "1e3"]),
    st.text(max_size=60),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=TEXT,
    level=TEXT,
    days=st.one_of(TEXT, st.integers()),
    sites=st.lists(st.one_of(TEXT, st.integers()), max_size=3),
    code=TEXT,
)
def test_inp_the_token_form_never_fails(signed_in, name, level, days, sites, code):
    data = {"name": name, "level": level, "days": days, "sites": sites, "code": code}
    response = signed_in.post(NEW, data)
    assert response.status_code in (201, 400)
