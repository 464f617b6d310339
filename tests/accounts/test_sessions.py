"""SES-1/2/3 (30 minutes idle, 12 hours absolute, background requests are not
activity, a warning with a way to stay, no typed text lost), SES-7 and AUTH-9
(deactivating a user ends their sessions)."""

import json
import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from logs_app.models import InteractionLog
from tests.accounts.conftest import sign_in

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def _to_login(response, path: str) -> bool:
    return response.status_code == 302 and response["Location"] == (
        f"/accounts/login/?next={path}"
    )


@pytest.fixture
def mentor_client(client, mentor, clock):
    assert sign_in(client, "mentor").status_code == 302
    return client


def test_ses_1_twenty_nine_idle_minutes_are_fine(mentor_client, clock):
    clock.advance(minutes=29)
    assert mentor_client.get(reverse("my_week")).status_code == 200


def test_ses_1_thirty_one_idle_minutes_sign_out(mentor_client, clock):
    clock.advance(minutes=31)
    response = mentor_client.get(reverse("my_week"))
    assert _to_login(response, "/week/")
    assert "_auth_user_id" not in mentor_client.session
    event = AuditEvent.objects.get(action="auth.session.ended")
    assert (event.actor.username, event.outcome) == ("mentor", "idle")
    # The sign-in page says why, once.
    page = mentor_client.get(response["Location"])
    assert "signed out after 30 minutes without activity" in page.text
    assert "without activity" not in mentor_client.get(reverse("login")).text


def test_ses_1_activity_moves_the_idle_deadline(mentor_client, clock):
    for _ in range(4):
        clock.advance(minutes=20)
        assert mentor_client.get(reverse("my_week")).status_code == 200


def test_ses_3_background_autosave_does_not_count_as_activity(
    mentor_client, participant, clock
):
    clock.advance(minutes=20)
    saved = mentor_client.post(
        reverse("log_autosave_new"),
        {"idempotency_key": str(uuid.uuid4()), "narrative": "Typing"},
        **FETCH,
    )
    assert saved.status_code == 200
    clock.advance(minutes=11)  # 31 minutes since the last page the mentor asked for
    assert _to_login(mentor_client.get(reverse("my_week")), "/week/")


def test_ses_3_the_status_check_does_not_count_either(mentor_client, clock):
    clock.advance(minutes=20)
    status = mentor_client.get(reverse("session_keepalive"), **FETCH)
    assert status.json() == {"remaining": 10 * 60}
    clock.advance(minutes=11)
    assert _to_login(mentor_client.get(reverse("my_week")), "/week/")


def test_ses_3_stay_signed_in_counts(mentor_client, clock):
    clock.advance(minutes=28)
    stay = mentor_client.post(reverse("session_keepalive"), **FETCH)
    assert stay.json() == {"remaining": 30 * 60}
    clock.advance(minutes=29)
    assert mentor_client.get(reverse("my_week")).status_code == 200


def test_ses_2_twelve_hours_end_the_session_however_active(mentor_client, clock):
    for _ in range(28):  # 11 h 40 min of steady activity
        clock.advance(minutes=25)
        assert mentor_client.get(reverse("my_week")).status_code == 200
    clock.advance(minutes=21)  # 12 h 1 min after signing in
    assert _to_login(mentor_client.get(reverse("my_week")), "/week/")
    assert AuditEvent.objects.get(action="auth.session.ended").outcome == "absolute"


def test_ses_3_pages_tell_the_script_when_the_session_ends(mentor_client, clock):
    clock.advance(minutes=5)
    html = mentor_client.get(reverse("my_week")).text
    assert 'data-session-remaining="1800"' in html
    assert 'data-session-warning="120"' in html
    assert 'src="/static/js/session-timeout.js"' in html
    assert 'id="session-warning"' in html and "Stay signed in" in html
    # Near the 12-hour limit the absolute deadline is the one shown.
    session = mentor_client.session
    session["peerlog_auth_at"] -= 12 * 3600 - 10 * 60
    session.save()
    html = mentor_client.get(reverse("my_week")).text
    assert 'data-session-remaining="300"' in html


def test_ses_3_signed_out_pages_carry_no_timer(client, db):
    html = client.get(reverse("login")).text
    assert "data-session-remaining" not in html
    assert "session-timeout.js" not in html


def test_ses_3_the_draft_survives_a_timeout(mentor_client, participant, clock):
    """Session expires mid-edit → the autosave is refused → sign in again → the
    draft holds what was autosaved before expiry (REL-1, SES-3)."""
    key = str(uuid.uuid4())
    first = mentor_client.post(
        reverse("log_autosave_new"),
        {
            "idempotency_key": key,
            "participant": str(participant.pk),
            "narrative": "We talked about the morning craving and a walk instead.",
        },
        **FETCH,
    )
    assert first.status_code == 200
    pk = first.json()["log"]
    edit = reverse("log_edit", args=[pk])

    clock.advance(minutes=31)
    late = mentor_client.post(
        reverse("log_autosave", args=[pk]),
        {"idempotency_key": key, "narrative": "Typed after the session ended"},
        **FETCH,
    )
    assert late.status_code != 200
    assert mentor_client.get(edit)["Location"] == f"/accounts/login/?next={edit}"

    back = sign_in(mentor_client, "mentor", next=edit)
    assert back["Location"] == edit
    page = mentor_client.get(edit)
    assert page.status_code == 200
    assert page.context["form"]["narrative"].value() == (
        "We talked about the morning craving and a walk instead."
    )
    assert "Typed after" not in page.text
    assert InteractionLog.objects.get().status == InteractionLog.Status.DRAFT


def test_ses_7_sessions_are_rows_in_the_database(mentor_client):
    session = Session.objects.get()
    assert session.get_decoded()["_auth_user_id"] == str(
        User.objects.get(username="mentor").pk
    )


# --- AUTH-9 ------------------------------------------------------------------------
def _two_sessions(user) -> list[Client]:
    clients = []
    for _ in range(2):
        c = Client()
        c.force_login(user)
        assert c.get(reverse("log_list")).status_code == 200
        clients.append(c)
    return clients


def test_auth_9_deactivating_in_the_admin_ends_every_session(
    mentor, supervisor, admin_user
):
    mentors_clients = _two_sessions(mentor.user)
    (others_client,) = _two_sessions(supervisor)[:1]
    admin = Client()
    admin.force_login(admin_user)
    change = reverse("admin:auth_user_change", args=[mentor.user.pk])
    form = admin.get(change).context["adminform"].form
    data = {
        name: (
            [str(v.pk) for v in value]
            if hasattr(value, "__iter__") and not isinstance(value, str)
            else value
        )
        for name, value in form.initial.items()
        if value is not None and name not in {"password", "last_login"}
    }
    data.update(
        is_active="",
        date_joined_0=form.initial["date_joined"].strftime("%Y-%m-%d"),
        date_joined_1=form.initial["date_joined"].strftime("%H:%M:%S"),
    )
    data = {k: v for k, v in data.items() if v not in ("", False)}
    data.pop("date_joined", None)
    response = admin.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    mentor.user.refresh_from_db()
    assert not mentor.user.is_active
    for c in mentors_clients:
        assert c.get(reverse("log_list"))["Location"].startswith("/accounts/login/")
    assert others_client.get(reverse("log_list")).status_code == 200
    event = AuditEvent.objects.get(action="auth.user.deactivated")
    assert event.details == {"sessions_ended": 2}
    assert all(
        s.get_decoded().get("_auth_user_id") != str(mentor.user.pk)
        for s in Session.objects.all()
    )


def test_auth_9_the_admin_action_deactivates_and_signs_out(mentor, admin_user):
    mentors_clients = _two_sessions(mentor.user)
    admin = Client()
    admin.force_login(admin_user)
    response = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_and_sign_out", "_selected_action": [mentor.user.pk]},
    )
    assert response.status_code == 302
    for c in mentors_clients:
        assert c.get(reverse("log_list")).status_code == 302
    assert AuditEvent.objects.get(action="auth.user.deactivated").details == {
        "sessions_ended": 2
    }


def test_auth_9_an_inactive_user_is_signed_out_whatever_changed_the_flag(mentor):
    (c, _) = _two_sessions(mentor.user)
    # Not through the admin or a service: a bare UPDATE.
    User.objects.filter(pk=mentor.user.pk).update(is_active=False)
    assert c.get(reverse("log_list"))["Location"].startswith("/accounts/login/")
    assert c.get(reverse("session_keepalive")).status_code == 302


def test_session_keepalive_answers_json(mentor_client):
    response = mentor_client.get(reverse("session_keepalive"), **FETCH)
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["remaining"] == 30 * 60
    assert re.fullmatch(r"\d+", str(response.json()["remaining"]))
