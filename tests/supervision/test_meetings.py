"""Supervision meetings (issue 14): plan, record as held, agreed actions carried
until done; who may do what; validation; audit; constant queries."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from core.roles import Role
from supervision import meetings as services
from supervision.models import FollowUpItem, MeetingAction, SupervisionMeeting
from supervision.selectors_meetings import open_actions_for
from tests.factories import InteractionLogFactory, MentorFactory, UserFactory

NOTES = "She set a boundary about lending money; we practised what to say."
REFLECTION = "It brought back my own first weeks without smoking."


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _item(log, kind=FollowUpItem.Kind.CONCERN, **extra) -> FollowUpItem:
    return FollowUpItem.objects.create(
        log=log,
        kind=kind,
        mentor=log.mentor,
        site=log.participant.site,
        owner=log.mentor.supervisor,
        opened_at=log.submitted_at,
        due_at=log.submitted_at + dt.timedelta(days=7),
        **extra,
    )


def _meeting(mentor, supervisor, **extra) -> SupervisionMeeting:
    extra.setdefault("planned_for", dt.datetime(2026, 11, 19, 15, 0, tzinfo=dt.UTC))
    return SupervisionMeeting.objects.create(
        mentor=mentor, supervisor=supervisor, **extra
    )


def _record_data(meeting, **overrides) -> dict:
    data = {
        "version": str(meeting.version),
        "held_at": "2026-11-19T10:00",
        "attendees": [str(meeting.supervisor.pk), str(meeting.mentor.user_id)],
        "others_attending": "A mentor in training",
        "notes": NOTES,
    }
    data.update(overrides)
    return data


@pytest.fixture
def lead(db, site):
    user = UserFactory(username="lead", roles=[Role.SUPERVISOR])
    site.lead = user
    site.save()
    return user


@pytest.fixture
def reflective_log(mentor, participant):
    return InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        reflection_feelings=REFLECTION,
        submitted_at=dt.datetime(2026, 11, 16, 20, 0, tzinfo=dt.UTC),
    )


# --- lifecycle ------------------------------------
def test_plan_record_act_and_close(supervisor, mentor, reflective_log):
    item = _item(reflective_log)
    client = _client(supervisor)

    plan = client.get(reverse("meeting_plan", args=[mentor.pk]))
    assert plan.status_code == 200
    assert REFLECTION in plan.content.decode()
    assert plan.context["items"] == [item]

    response = client.post(
        reverse("meeting_plan", args=[mentor.pk]), {"planned_for": "2026-11-19T09:30"}
    )
    meeting = SupervisionMeeting.objects.get()
    assert response["Location"] == reverse("meeting_detail", args=[meeting.pk])
    # Typed in the mentor's site time (New York, UTC-5 in November).
    assert meeting.planned_for == dt.datetime(2026, 11, 19, 14, 30, tzinfo=dt.UTC)
    assert meeting.supervisor == supervisor

    form = client.get(reverse("meeting_record", args=[meeting.pk])).context["form"]
    assert set(form.initial["attendees"]) == {supervisor, mentor.user}
    response = client.post(
        reverse("meeting_record", args=[meeting.pk]),
        _record_data(meeting, items=[str(item.pk)], logs=[str(reflective_log.pk)]),
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.held_at == dt.datetime(2026, 11, 19, 15, 0, tzinfo=dt.UTC)
    assert meeting.version == 2
    assert (list(meeting.items.all()), list(meeting.logs.all())) == (
        [item],
        [reflective_log],
    )
    assert set(meeting.attendees.all()) == {supervisor, mentor.user}
    assert meeting.notes == NOTES

    client.post(
        reverse("meeting_action_add", args=[meeting.pk]),
        {
            "text": "Call the clinic",
            "owner": str(mentor.user_id),
            "due_on": "2026-11-26",
        },
    )
    action = MeetingAction.objects.get()
    assert (action.owner, action.due_on) == (mentor.user, dt.date(2026, 11, 26))
    assert open_actions_for(mentors=[mentor]) == [action]

    client.post(reverse("meeting_action_done", args=[action.pk]))
    client.post(reverse("meeting_action_done", args=[action.pk]))  # twice: once
    action.refresh_from_db()
    assert action.done_by == supervisor
    assert open_actions_for(mentors=[mentor]) == []

    events = AuditEvent.objects.filter(action__startswith="meeting.").order_by("pk")
    assert [e.action for e in events] == [
        "meeting.plan_view",
        "meeting.plan",
        "meeting.record",
        "meeting.action_add",
        "meeting.action_done",
    ]
    # No free text in the audit trail: ids, counts and dates only.
    dumped = str([e.details for e in events])
    for text in (NOTES, REFLECTION, "Call the clinic", "mentor in training"):
        assert text not in dumped


def test_action_is_carried_to_later_plans_until_done(supervisor, mentor, log):
    first = _meeting(mentor, supervisor, held_at=log.submitted_at)
    action = services.meeting_action_add(
        actor=supervisor, meeting=first, text="Read the boundaries handout"
    )
    later = _meeting(
        mentor, supervisor, planned_for=first.planned_for + dt.timedelta(7)
    )
    client = _client(supervisor)

    for _week in range(2):
        page = client.get(reverse("meeting_detail", args=[later.pk]))
        assert page.context["earlier_actions"] == [action]
        assert "Read the boundaries handout" in page.content.decode()

    services.meeting_action_done(actor=supervisor, action=action)
    page = client.get(reverse("meeting_detail", args=[later.pk]))
    assert page.context["earlier_actions"] == []


def test_open_actions_are_overdue_after_their_day(supervisor, mentor):
    meeting = _meeting(mentor, supervisor)
    services.meeting_action_add(
        actor=supervisor, meeting=meeting, text="a", due_on=dt.date(2026, 11, 18)
    )
    services.meeting_action_add(actor=supervisor, meeting=meeting, text="b")
    actions = open_actions_for(mentors=[mentor], today=dt.date(2026, 11, 19))
    assert [(a.text, a.is_overdue) for a in actions] == [("a", True), ("b", False)]


# --- validation ------------------------------------
@pytest.mark.parametrize("field", ["items", "logs"])
def test_another_mentors_item_or_log_cannot_be_attached(
    field, supervisor, mentor, log, other_log
):
    meeting = _meeting(mentor, supervisor)
    foreign = _item(other_log) if field == "items" else other_log

    response = _client(supervisor).post(
        reverse("meeting_record", args=[meeting.pk]),
        _record_data(meeting, **{field: [str(foreign.pk)]}),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert "Only this mentor" in errors[field][0]
    assert NOTES in response.content.decode()  # typed text kept
    meeting.refresh_from_db()
    assert (meeting.held_at, meeting.version) == (None, 1)


def test_service_refuses_another_mentors_log(supervisor, mentor, other_log):
    meeting = _meeting(mentor, supervisor)
    with pytest.raises(services.ValidationError) as exc:
        services.meeting_record(
            actor=supervisor,
            meeting=meeting,
            expected_version=1,
            held_at=meeting.planned_for,
            attendees=[],
            logs=[other_log],
        )
    assert list(exc.value.error_dict) == ["logs"]


def test_a_meeting_in_the_future_is_not_recorded_as_held(supervisor, mentor):
    meeting = _meeting(mentor, supervisor)
    response = _client(supervisor).post(
        reverse("meeting_record", args=[meeting.pk]),
        _record_data(meeting, held_at="2026-12-01T10:00"),
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["held_at"]


def test_stale_record_is_refused_and_keeps_the_text(supervisor, mentor, lead):
    meeting = _meeting(mentor, supervisor)
    data = _record_data(meeting)
    _client(lead).post(reverse("meeting_record", args=[meeting.pk]), data)

    response = _client(supervisor).post(
        reverse("meeting_record", args=[meeting.pk]),
        _record_data(meeting, notes="My own notes"),
    )

    assert response.status_code == 409
    assert "My own notes" in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.version, meeting.notes) == (2, NOTES)


def test_action_needs_text_and_keeps_the_rest(supervisor, mentor):
    meeting = _meeting(mentor, supervisor)
    response = _client(supervisor).post(
        reverse("meeting_action_add", args=[meeting.pk]),
        {"text": "  ", "due_on": "2026-11-30"},
    )
    assert response.status_code == 400
    assert "text" in response.context["action_form"].errors
    assert 'value="2026-11-30"' in response.content.decode()
    assert not MeetingAction.objects.exists()


# --- who may ------------------------------------
def test_mentor_reads_date_attendees_and_actions_but_not_notes(
    supervisor, mentor, reflective_log
):
    meeting = _meeting(mentor, supervisor)
    services.meeting_record(
        actor=supervisor,
        meeting=meeting,
        expected_version=1,
        held_at=meeting.planned_for,
        attendees=[supervisor, mentor.user],
        notes=NOTES,
        logs=[reflective_log],
    )
    services.meeting_action_add(actor=supervisor, meeting=meeting, text="Rest more")
    client = _client(mentor.user)

    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()

    assert "Rest more" in page
    assert supervisor.first_name in page
    assert NOTES not in page
    assert REFLECTION not in page
    assert "Mark done" not in page
    listing = client.get(reverse("meeting_list", args=[mentor.pk]))
    assert listing.status_code == 200
    assert "Plan a meeting" not in listing.content.decode()


def test_site_lead_plans_but_never_sees_reflections(lead, mentor, reflective_log):
    client = _client(lead)
    page = client.get(reverse("meeting_plan", args=[mentor.pk]))
    assert page.status_code == 200
    assert REFLECTION not in page.content.decode()
    client.post(
        reverse("meeting_plan", args=[mentor.pk]), {"planned_for": "2026-11-19T09:30"}
    )
    meeting = SupervisionMeeting.objects.get()
    page = client.get(reverse("meeting_detail", args=[meeting.pk]))
    assert page.status_code == 200
    assert REFLECTION not in page.content.decode()


@pytest.mark.parametrize(
    "role",
    ["peer", "other_mentor", "other_supervisor", "staff", "admin_user", "nobody"],
)
def test_others_get_404_and_the_denial_is_audited(
    role, request, supervisor, mentor, site
):
    if role == "peer":
        user = MentorFactory(sites=[site], supervisor=supervisor).user
    else:
        value = request.getfixturevalue(role)
        user = getattr(value, "user", value)
    meeting = _meeting(mentor, supervisor)
    action = services.meeting_action_add(actor=supervisor, meeting=meeting, text="x")
    client = _client(user)
    for method, url in [
        ("get", reverse("meeting_list", args=[mentor.pk])),
        ("get", reverse("meeting_plan", args=[mentor.pk])),
        ("get", reverse("meeting_detail", args=[meeting.pk])),
        ("get", reverse("meeting_record", args=[meeting.pk])),
        ("post", reverse("meeting_record", args=[meeting.pk])),
        ("post", reverse("meeting_action_add", args=[meeting.pk])),
        ("post", reverse("meeting_action_done", args=[action.pk])),
    ]:
        assert getattr(client, method)(url).status_code == 404, url
    assert AuditEvent.objects.filter(action="access.denied", actor=user).count() == 7
    action.refresh_from_db()
    assert action.done_at is None


def test_a_former_supervisor_loses_the_meetings(supervisor, other_supervisor, mentor):
    meeting = _meeting(mentor, supervisor)
    mentor.supervisor = other_supervisor
    mentor.save()
    assert _client(supervisor).get(
        reverse("meeting_detail", args=[meeting.pk])
    ).status_code == 404  # fmt: skip


# --- queries ------------------------------------
@pytest.mark.parametrize("count", [2, 8])
def test_meeting_list_queries_are_constant(
    count, supervisor, mentor, django_assert_num_queries
):
    for day in range(count):
        meeting = _meeting(
            mentor,
            supervisor,
            planned_for=dt.datetime(2026, 11, 1 + day, 15, tzinfo=dt.UTC),
        )
        services.meeting_action_add(actor=supervisor, meeting=meeting, text="x")
    client = _client(supervisor)
    # session, user, groups (roles), mentor, its sites (their leads are one more
    # query when a site has one), meetings annotated with action counts.
    with django_assert_num_queries(6):
        response = client.get(reverse("meeting_list", args=[mentor.pk]))
    assert len(response.context["meetings"]) == count
