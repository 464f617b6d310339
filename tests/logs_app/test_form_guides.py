"""Issue 13 part B, "the form guides": defaults that save taps, the safety
question near the top, a GOV.UK-style error summary, required fields marked,
only current assignments listed, same-day logs told apart by their time, and
plain relative words. The clock is pinned (tests/conftest.py): Thursday 19 Nov
2026, 15:00 in New York, the mentor's site."""

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.urls import reverse

from core.timeutils import ago_text, days_ago_text
from logs_app.models import InteractionLog
from tests.conftest import NOW
from tests.factories import AssignmentFactory, InteractionLogFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select[1])


# --- defaults and order ------------------------------------------------------------
def test_new_log_starts_now_in_the_sites_time_met_in_person(as_user, mentor):
    form = as_user(mentor.user).get(reverse("log_create")).context["form"]
    # 20:00 UTC is 15:00 in New York, the mentor's site.
    assert form.initial["contact_date"] == dt.date(2026, 11, 19)
    assert form.initial["start_time"] == dt.time(15, 0)
    assert form.initial["outcome"] == InteractionLog.Outcome.MET
    assert form.initial["mode"] == InteractionLog.Mode.IN_PERSON
    html = _html(as_user(mentor.user).get(reverse("log_create")))
    assert 'name="start_time" value="15:00"' in html


def test_start_time_default_follows_the_site_not_utc(as_user, mentor):
    # 03:30 UTC on Friday is still Thursday 22:30 in New York.
    with time_machine.travel(dt.datetime(2026, 11, 20, 3, 30, tzinfo=dt.UTC)):
        form = as_user(mentor.user).get(reverse("log_create")).context["form"]
    assert form.initial["contact_date"] == dt.date(2026, 11, 19)
    assert form.initial["start_time"] == dt.time(22, 30)


def test_the_defaults_file_a_log_that_starts_now(as_user, mentor, participant):
    """The default time is not "in the future" for the form's own check."""
    client = as_user(mentor.user)
    form = client.get(reverse("log_create")).context["form"]
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "participant": participant.pk,
        "outcome": "met",
        "contact_date": form.initial["contact_date"].isoformat(),
        "start_time": form.initial["start_time"].strftime("%H:%M"),
        "mode": form.initial["mode"],
        "duration_minutes": "30",
        "narrative": "We walked to the shop and talked about cravings.",
        "action": "submit",
    }
    assert client.post(reverse("log_create"), data).status_code == 302
    assert InteractionLog.objects.get().start_time == dt.time(15, 0)


def test_log_button_prefills_the_participant(as_user, mentor, participant):
    week = _html(as_user(mentor.user).get(reverse("my_week")))
    link = f"{reverse('log_create')}?participant={participant.pk}"
    assert f'href="{link}"' in week
    html = _html(as_user(mentor.user).get(link))
    assert f'<option value="{participant.pk}" selected>' in html


def test_safety_question_comes_right_after_what_happened(as_user, mentor):
    html = _html(as_user(mentor.user).get(reverse("log_create")))
    order = [
        html.index(f'name="{name}"')
        for name in ("participant", "outcome", "safety_concern", "contact_date")
    ]
    assert order == sorted(order)
    assert html.count('name="safety_concern"') == 1


# --- the error summary -------------------------------------------------------------
def test_empty_submit_names_each_problem_once_with_a_link(as_user, mentor):
    response = as_user(mentor.user).post(
        reverse("log_create"),
        {"idempotency_key": str(uuid.uuid4()), "action": "submit"},
    )
    assert response.status_code == 400
    html = _html(response)
    summary = html[
        html.index("data-error-summary") : html.index(
            "</ul>", html.index("data-error-summary")
        )
    ]
    links = re.findall(r'<a class="alert-link" href="#([^"]+)">([^<]+)</a>', summary)
    # participant, date, start time, mode, length, summary: one line each.
    assert len(links) == 6
    assert "There are 6 problems" in summary
    messages = [message for _, message in links]
    assert len(set(messages)) == len(messages)
    assert [anchor for anchor, _ in links] == [
        "id_participant",
        "id_contact_date",
        "id_start_time",
        "id_mode_0",  # a radio group links to its first option
        "id_duration_minutes",
        "id_narrative",
    ]
    for anchor, _ in links:
        assert f'id="{anchor}"' in html
    assert "Please fill this in" not in html
    assert "Please check the fields marked below" not in html
    assert re.search(r"<title>Error: New log · Peerlog</title>", html)
    assert 'src="/static/js/error-summary.js"' in html


def test_one_problem_reads_in_the_singular(as_user, mentor, participant):
    response = as_user(mentor.user).post(
        reverse("log_create"),
        {
            "idempotency_key": str(uuid.uuid4()),
            "participant": participant.pk,
            "outcome": "no_show",
            "contact_date": "2026-11-18",
            "action": "submit",
        },
    )
    html = _html(response)
    assert "There is 1 problem" in html
    assert 'href="#id_mode_0">Choose how you connected.</a>' in html


def test_a_page_without_errors_has_no_summary_and_a_plain_title(as_user, mentor):
    html = _html(as_user(mentor.user).get(reverse("log_create")))
    assert "data-error-summary" not in html
    assert "<title>New log · Peerlog</title>" in html


def test_fields_a_submit_needs_are_marked_for_eyes_and_assistive_tech(as_user, mentor):
    html = _html(as_user(mentor.user).get(reverse("log_create")))
    for name in ("participant", "contact_date", "start_time", "duration_minutes"):
        tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html)[0]
        assert 'aria-required="true"' in tag and " required" in tag, tag
    narrative = re.search(r'<textarea[^>]*name="narrative"[^>]*>', html)[0]
    assert 'aria-required="true"' in narrative
    for name in ("place", "co_ppm", "weekly_goal"):
        tag = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', html)[0]
        assert "aria-required" not in tag and " required" not in tag, tag
    # peerlog.css stars the questions with aria-required; the key explains it.
    assert 'Questions marked <span class="required-mark">*</span> are needed' in html


def test_a_draft_still_saves_with_the_marked_fields_empty(as_user, mentor):
    response = as_user(mentor.user).post(
        reverse("log_create"),
        {"idempotency_key": str(uuid.uuid4()), "action": "draft"},
    )
    assert response.status_code == 302
    assert InteractionLog.objects.get().status == InteractionLog.Status.DRAFT


# --- only current assignments ------------------------------------------------------
@pytest.fixture
def ended(site, mentor):
    person = ParticipantFactory(study_id="NYC-0009", site=site)
    AssignmentFactory(
        mentor=mentor,
        participant=person,
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 6, 30),
    )
    return person


def test_new_log_lists_only_current_assignments(as_user, mentor, participant, ended):
    html = _html(as_user(mentor.user).get(reverse("log_create")))
    assert _options(html, "participant") == ["Choose…", "NYC-0001 – Jay"]


def test_an_old_log_keeps_its_ended_participant_listed(
    as_user, mentor, participant, ended
):
    old = InteractionLogFactory(
        mentor=mentor, participant=ended, contact_date=dt.date(2026, 6, 1)
    )
    html = _html(as_user(mentor.user).get(reverse("log_edit", args=[old.pk])))
    assert _options(html, "participant") == ["Choose…", "NYC-0001 – Jay", "NYC-0009"]


def test_a_late_log_for_an_ended_assignment_is_refused_with_the_reason(
    as_user, mentor, participant, ended
):
    """Sent anyway (an offline outbox, an old tab): the date says why, and the
    choice stays on screen next to it."""
    response = as_user(mentor.user).post(
        reverse("log_create"),
        {
            "idempotency_key": str(uuid.uuid4()),
            "participant": ended.pk,
            "contact_date": "2026-11-18",
            "mode": "phone",
            "outcome": "no_answer",
            "action": "submit",
        },
    )
    assert response.status_code == 400
    html = _html(response)
    assert "NYC-0009 was not assigned to you on this date" in html
    assert f'<option value="{ended.pk}" selected>NYC-0009</option>' in html


def test_anyone_elses_participant_is_never_listed(
    as_user, mentor, participant, other_participant
):
    response = as_user(mentor.user).post(
        reverse("log_create"),
        {"idempotency_key": str(uuid.uuid4()), "participant": other_participant.pk},
    )
    assert "SYD-0001" not in _options(_html(response), "participant")


# --- same-day logs show their time -------------------------------------------------
@pytest.fixture
def same_day(mentor, participant):
    return [
        InteractionLogFactory(
            mentor=mentor,
            participant=participant,
            contact_date=dt.date(2026, 11, 17),
            start_time=dt.time(hour, 0),
        )
        for hour in (9, 14)
    ]


def test_my_week_and_my_logs_tell_same_day_logs_apart(as_user, mentor, same_day):
    client = as_user(mentor.user)
    week = _html(client.get(reverse("my_week")))
    assert "NYC-0001 · Tue 17 Nov, 09:00" in week
    assert "NYC-0001 · Tue 17 Nov, 14:00" in week
    logs = _html(client.get(reverse("log_list")))
    assert "2026, 09:00" in logs and "2026, 14:00" in logs


def test_review_queue_tells_same_day_logs_apart(as_user, supervisor, same_day):
    html = _html(as_user(supervisor).get(reverse("review_queue")))
    assert "NYC-0001 · Tue 17 Nov, 09:00" in html
    assert "NYC-0001 · Tue 17 Nov, 14:00" in html


# --- plain relative words ----------------------------------------------------------
@pytest.mark.parametrize(
    ("days", "words"),
    [(0, "today"), (1, "yesterday"), (3, "3 days ago")],
)
def test_days_read_in_plain_words(days, words):
    assert days_ago_text(days) == words


@pytest.mark.parametrize(
    ("before", "words"),
    [
        (dt.timedelta(seconds=20), "just now"),
        (dt.timedelta(minutes=1), "1 minute ago"),
        (dt.timedelta(minutes=5), "5 minutes ago"),
        (dt.timedelta(hours=2), "2 hours ago"),
        (dt.timedelta(hours=30), "yesterday"),
        (dt.timedelta(days=3, hours=1), "3 days ago"),
    ],
)
def test_instants_read_in_plain_words(before, words):
    assert ago_text(NOW - before, NOW) == words


def test_my_week_says_today_and_just_now(as_user, mentor, participant):
    InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 19)
    )
    client = as_user(mentor.user)
    client.post(reverse("log_create"), {"idempotency_key": str(uuid.uuid4())})
    html = _html(client.get(reverse("my_week")))
    assert "Last met today" in html
    assert "saved just now" in html
    assert " 0 days" not in html and "0 minutes" not in html


def test_my_week_says_yesterday(as_user, mentor, participant):
    InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 18)
    )
    html = _html(as_user(mentor.user).get(reverse("my_week")))
    assert "Last met yesterday" in html
