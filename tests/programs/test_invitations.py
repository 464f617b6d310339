"""Issue 17, invitations: a site's lead invites a mentor, supervisor or
research staff by e-mail (through the outbox); the link works once, for 7
days, and dies when the invitation is resent or withdrawn; accepting sets a
password, gives the role and sites, and a privileged role can do nothing
before two-step sign-in is set up. Refusals are audited; nothing typed is
lost when the form refuses."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from core.roles import Role, user_roles
from mentors.models import Mentor
from notifications.models import Notification
from notifications.tasks import dispatch_once
from participants.models import SiteAccess
from programs.models import Invitation
from tests.conftest import client_for
from tests.factories import UserFactory

STRONG = "a long enough pass phrase 42"


@pytest.fixture
def lead(site, supervisor):
    site.lead = supervisor
    site.save()
    return supervisor


def _invite(client, site, **data):
    fields = {"email": "new.mentor@example.org", "first_name": "Noa", "role": "mentor"}
    fields.update(data)
    return client.post(reverse("invitation_list"), {**fields, "sites": [site.pk]})


def _link() -> str:
    """The accept link of the last mail sent, as a path."""
    dispatch_once()
    body = mail.outbox[-1].body
    return re.search(r"https?://[^/\s]+(/invite/\d+/[0-9a-f]+/)", body)[1]


def _accept(client, path, username="noa.m", password=STRONG, again=None):
    return client.post(
        path,
        {"username": username, "password1": password, "password2": again or password},
    )


def test_a_mentor_is_invited_and_accepts_from_the_mail(client, lead, site):
    response = _invite(client_for(lead), site)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert Notification.objects.get(kind="invitation").email == "new.mentor@example.org"
    path = _link()
    assert "Noa" in mail.outbox[-1].body and site.name in mail.outbox[-1].body

    assert client.get(path).status_code == 200
    response = _accept(client, path)

    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(username="noa.m")
    assert user.email == "new.mentor@example.org" and user.first_name == "Noa"
    assert user_roles(user) == {Role.MENTOR}
    assert set(SiteAccess.objects.filter(user=user).values_list("site", flat=True)) == {
        site.pk
    }
    assert list(Mentor.objects.get(user=user).sites.all()) == [site]
    invitation.refresh_from_db()
    assert invitation.accepted_at and invitation.user == user
    assert client.get(reverse("my_week")).status_code == 200  # signed in

    again = client_for(lead).get(path)  # a used link, even for someone else
    assert again.status_code == 410
    assert "used already" in again.content.decode()
    refused = AuditEvent.objects.get(action="invitation.refused")
    assert refused.details == {"reason": "used", "invitation": invitation.pk}
    assert AuditEvent.objects.filter(action="invitation.accept", actor=user).exists()


def test_an_expired_link_is_refused(client, lead, site):
    _invite(client_for(lead), site)
    path = _link()
    with time_machine.travel(dt.timedelta(days=7, seconds=1)):
        response = _accept(client, path)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(username="noa.m").exists()


def test_sending_again_kills_the_first_link_and_withdrawing_kills_all(
    client, lead, site
):
    lead_client = client_for(lead)
    _invite(lead_client, site)
    invitation = Invitation.objects.get()
    first = _link()
    act = reverse("invitation_act", args=[invitation.pk, "resend"])
    assert lead_client.post(act).status_code == 302
    second = _link()
    assert first != second
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200

    lead_client.post(reverse("invitation_act", args=[invitation.pk, "revoke"]))

    assert _accept(client, second).status_code == 410
    assert not User.objects.filter(username="noa.m").exists()


def test_a_mail_not_sent_before_the_invitation_was_withdrawn_is_not_sent(lead, site):
    lead_client = client_for(lead)
    _invite(lead_client, site)
    invitation = Invitation.objects.get()
    lead_client.post(reverse("invitation_act", args=[invitation.pk, "revoke"]))
    dispatch_once()
    assert mail.outbox == []


@pytest.mark.parametrize("role", ["supervisor", "research"])
def test_a_privileged_role_must_set_up_two_step_sign_in_first(
    client, lead, site, settings, role
):
    _invite(client_for(lead), site, role=role, email=f"new.{role}@example.org")
    path = _link()
    settings.PEERLOG_2FA_REQUIRED = True
    response = _accept(client, path)
    assert response.status_code == 302
    assert response["Location"] == reverse("two_factor_enrol")
    page = client.get(reverse("log_list"))
    assert page.status_code == 302 and reverse("two_factor_enrol") in page["Location"]


def test_the_accept_form_keeps_what_was_typed_and_says_what_is_wrong(
    client, lead, site
):
    UserFactory(username="Taken.Name")  # made in the admin, with capitals
    _invite(client_for(lead), site)
    path = _link()
    cases = {
        "Use 3 to 40 lower-case": {"username": "Noa M"},
        "This username is taken": {"username": "taken.name"},
        "The two passwords differ": {"again": STRONG + "!"},
        "too short": {"password": "short"},
    }
    for words, override in cases.items():
        response = _accept(client, path, **override)
        assert response.status_code == 400
        page = response.content.decode()
        assert words in page, words
        typed = override.get("username", "noa.m")
        assert f'value="{typed}"' in page
    assert not Invitation.objects.get().accepted_at


def test_the_invitation_form_refuses_a_known_address_and_a_second_invitation(
    lead, site, other_site, mentor
):
    client = client_for(lead)
    known = _invite(client, site, email=mentor.user.email.upper())
    assert "has an account" in known.content.decode()
    _invite(client, site)
    second = _invite(client, site)
    assert "resend it instead" in second.content.decode()
    outside = _invite(client, other_site, email="x@example.org")
    assert outside.status_code == 400
    assert Invitation.objects.count() == 1


def test_other_roles_and_other_leads_cannot_touch_invitations(
    lead, site, other_site, other_supervisor
):
    _invite(client_for(lead), site)
    invitation = Invitation.objects.get()
    other_site.lead = other_supervisor
    other_site.save()
    other = client_for(other_supervisor)
    assert (
        other.post(
            reverse("invitation_act", args=[invitation.pk, "revoke"])
        ).status_code
        == 404
    )
    assert "new.mentor" not in other.get(reverse("invitation_list")).content.decode()
    for role in (Role.MENTOR, Role.RESEARCH):
        client = client_for(UserFactory(roles=[role], sites=[site]))
        assert client.get(reverse("invitation_list")).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_a_forged_link_is_refused_and_audited(client, lead, site):
    _invite(client_for(lead), site)
    invitation = Invitation.objects.get()
    path = reverse("invitation_accept", args=[invitation.pk, "0" * 40])
    assert _accept(client, path).status_code == 410
    assert (
        AuditEvent.objects.get(action="invitation.refused").details["reason"]
        == "unknown"
    )
    assert not User.objects.filter(username="noa.m").exists()


# --- who they work with ------------------------------------------------------------
def test_a_mentor_gets_the_supervisor_chosen_in_the_invitation(client, lead, site):
    response = _invite(client_for(lead), site, supervisor=lead.pk)
    assert response.status_code == 302
    _accept(client, _link())
    mentor = Mentor.objects.get(user__username="noa.m")
    assert mentor.supervisor == lead
    event = AuditEvent.objects.get(action="invitation.accept")
    assert event.details["supervisor"] == lead.pk


def test_a_supervisor_takes_over_the_mentors_chosen(
    client, lead, site, mentor, other_mentor
):
    """`mentor` moves from `lead` to the new supervisor; the audit row says
    from whom. A mentor of another site cannot be chosen."""
    client_lead = client_for(lead)
    refused = _invite(
        client_lead, site, role="supervisor", email="new.sup@example.org",
        mentors=[other_mentor.pk],
    )  # fmt: skip
    assert refused.status_code == 400
    assert "Select a valid choice" in " ".join(
        refused.context["form"].errors["mentors"]
    )
    response = _invite(
        client_lead, site, role="supervisor", email="new.sup@example.org",
        mentors=[mentor.pk],
    )  # fmt: skip
    assert response.status_code == 302
    assert mentor.supervisor_id == lead.pk
    _accept(client, _link(), username="new.sup")
    mentor.refresh_from_db()
    assert mentor.supervisor.username == "new.sup"
    event = AuditEvent.objects.get(action="invitation.accept")
    assert event.details["mentors"] == [
        {"mentor": mentor.pk, "from_supervisor": lead.pk}
    ]


@pytest.mark.parametrize(
    "role, field, message",
    [
        ("research", "supervisor", "Only a mentor has a supervisor."),
        ("mentor", "mentors", "Only a supervisor supervises mentors."),
    ],
)
def test_team_choices_must_fit_the_role(lead, site, mentor, role, field, message):
    data = (
        {"supervisor": lead.pk} if field == "supervisor" else {"mentors": [mentor.pk]}
    )
    response = _invite(client_for(lead), site, role=role, **data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert not Invitation.objects.exists()


def test_a_supervisor_who_stopped_supervising_is_not_given_the_mentor(
    client, lead, site
):
    _invite(client_for(lead), site, supervisor=lead.pk)
    lead.groups.clear()
    lead.__dict__.pop("_peerlog_roles", None)
    _accept(client, _link())
    assert Mentor.objects.get(user__username="noa.m").supervisor is None


def test_the_invitation_list_takes_the_same_queries_for_more_invitations(
    lead, site, mentor, django_assert_num_queries
):
    client = client_for(lead)
    _invite(client, site, supervisor=lead.pk)
    _invite(client, site, role="supervisor", email="s@example.org", mentors=[mentor.pk])
    client.get(reverse("invitation_list"))
    with django_assert_num_queries(QUERIES_INVITATIONS):
        client.get(reverse("invitation_list"))
    for i in range(4):
        _invite(
            client, site, role="supervisor", email=f"s{i}@example.org",
            mentors=[mentor.pk],
        )  # fmt: skip
    with django_assert_num_queries(QUERIES_INVITATIONS):
        page = client.get(reverse("invitation_list"))
    assert page.content.decode().count("Supervises ") == 5


# session, user, groups; whether the lead runs one site; invitations (with
# their supervisor), their sites, their mentors and those mentors' users; then
# at render: the sites, supervisors and mentors offered (with their sites).
QUERIES_INVITATIONS = 13
