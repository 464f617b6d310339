import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from demo.content import DEMO_PASSWORD
from logs_app import selectors
from logs_app.models import InteractionLog, LogComment, LogRevision
from mentors.models import Assignment, Mentor
from participants.models import Participant, Site
from supervision.models import FollowUpItem

# Friday evening in New York, already Saturday in UTC and in Sydney: a site's
# "today" is not UTC's (the demo's draft once was dated in the future here).
SEEDED_AT = dt.datetime(2026, 11, 28, 0, 30, tzinfo=dt.UTC)


def counts() -> dict:
    return {
        "sites": Site.objects.count(),
        "mentors": Mentor.objects.count(),
        "participants": Participant.objects.count(),
        "logs": InteractionLog.objects.count(),
        "revisions": LogRevision.objects.count(),
    }


@pytest.fixture
def pinned():
    with time_machine.travel(SEEDED_AT, tick=False):
        yield SEEDED_AT


def test_seed_demo_builds_a_realistic_program_once(db, capsys, pinned):
    call_command("seed_demo")
    first = counts()
    assert first["sites"] == 3
    assert first["mentors"] == 8
    assert 25 <= first["participants"] <= 35
    assert first["logs"] > 300
    logs = InteractionLog.objects
    assert logs.filter(status="draft").count() == 1
    assert logs.filter(safety_concern=True).count() == 1
    # Older logs are reviewed, the newest wait, and one went back for changes.
    assert logs.filter(status="returned").count() == 1
    assert (
        logs.filter(status="reviewed").count()
        > logs.filter(status="submitted").count()
        > 0
    )
    answered = logs.exclude(reflection_feelings="").count()
    assert 0.3 < answered / first["logs"] < 0.6
    assert {"met", "no_answer"} <= set(logs.values_list("outcome", flat=True))
    assert len(set(Site.objects.values_list("time_zone", flat=True))) == 3
    # Follow-up items (issue 14): older ones resolved with a note when their
    # log was reviewed, one older request left open for the agenda to carry.
    items = FollowUpItem.objects
    assert items.filter(state="resolved").exclude(resolution_note="").count() > 0
    assert not items.filter(state="resolved", resolution_note="").exists()
    still_open = items.exclude(state="resolved").filter(log__status="reviewed")
    assert still_open.count() == 1 and still_open.get().kind != "safety"
    out = capsys.readouterr().out
    for username in ["maya.mentor", "sam.supervisor", "rita.research", "admin"]:
        assert username in out
        assert User.objects.filter(username=username).exists()

    call_command("seed_demo")  # idempotent
    assert counts() == first

    call_command("seed_demo", "--reset")
    assert counts() == first


# --- the README's "what to try", walked (issue 11, finding 14) ---------------------
def sign_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD), username
    return client


def form_data(form) -> dict:
    """What the browser would post back from an unchanged form."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, "", False, []):
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif value is True:
            data[name] = "on"
        else:
            data[name] = str(value)
    return data


def every_log_obeys_the_assignment_rule() -> bool:
    return all(
        Assignment.objects.filter(mentor=log.mentor, participant=log.participant)
        .active_on(log.contact_date)
        .exists()
        for log in InteractionLog.objects.select_related("mentor", "participant")
    )


def sites_of(user) -> set[str]:
    return set(
        selectors.log_list(user=user).values_list("participant__site__code", flat=True)
    )


def test_every_readme_suggestion_works_on_the_demo(db, pinned):
    """Issue 11 finding 14: the README's demo table, walked on the seeded demo.
    maya.mentor finishes and submits her draft (its participant was no longer
    assigned to her on the draft's date, so it could not be submitted) and
    files a new log; the other rows show what the README says they show."""
    call_command("seed_demo")
    assert every_log_obeys_the_assignment_rule()

    # maya.mentor: My week, finish the draft, file a new log.
    maya = sign_in("maya.mentor")
    home = maya.get(reverse("home"))
    assert home["Location"] == reverse("my_week")
    week = maya.get(reverse("my_week")).context["week"]
    assert len(week.drafts) == 1
    assert week.returned and week.unread  # a log sent back, feedback to read
    draft = week.drafts[0]
    page = maya.get(reverse("log_edit", args=[draft.pk]))
    assert page.status_code == 200
    data = form_data(page.context["form"])
    data.update(
        duration_minutes="40",
        narrative="We met at the park and talked about her plan for the weekend.",
        action="submit",
    )
    response = maya.post(reverse("log_edit", args=[draft.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    draft.refresh_from_db()
    assert draft.status == InteractionLog.Status.SUBMITTED

    new = maya.get(reverse("log_create"))
    assert new.status_code == 200
    person = week.participants[0].participant
    yesterday = SEEDED_AT.astimezone(person.site.tzinfo).date() - dt.timedelta(1)
    data = form_data(new.context["form"])
    data.update(
        participant=str(person.pk),
        contact_date=yesterday.isoformat(),
        start_time="11:00",
        duration_minutes="30",
        mode="phone",
        narrative="A phone call about cravings after lunch and a walk instead.",
        action="submit",
    )
    response = maya.post(reverse("log_create"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert (
        InteractionLog.objects.filter(mentor__user__username="maya.mentor")
        .filter(contact_date=yesterday, duration_minutes=30, status="submitted")
        .exists()
    )

    # tom.mentor: a mentor at the Sydney site.
    tom = sign_in("tom.mentor")
    week = tom.get(reverse("my_week")).context["week"]
    assert week.participants
    assert {p.participant.site.code for p in week.participants} == {"syd"}

    # sam.supervisor: the logs of the Boston and Denver mentors, and a review.
    sam = sign_in("sam.supervisor")
    assert sam.get(reverse("home"))["Location"] == reverse("team_week")
    assert sam.get(reverse("team_week")).status_code == 200
    assert sam.get(reverse("log_list")).status_code == 200
    assert sites_of(User.objects.get(username="sam.supervisor")) == {"bos", "den"}
    queue = sam.get(reverse("review_queue")).context["page"].object_list
    assert queue
    waiting = queue[0]
    response = sam.post(
        reverse("log_review", args=[waiting.pk]),
        {"version": str(waiting.version), "action": "review", "comment": "Thanks."},
    )
    assert response.status_code == 302
    assert LogComment.objects.filter(log=waiting, body="Thanks.").exists()
    assert sam.get(reverse("supervision_agenda")).status_code == 200

    # sofia.supervisor: the logs of the Sydney mentors.
    sofia = sign_in("sofia.supervisor")
    assert sofia.get(reverse("log_list")).status_code == 200
    assert sites_of(User.objects.get(username="sofia.supervisor")) == {"syd"}
    assert sofia.get(reverse("review_queue")).context["page"].object_list

    # rita.research: read-only logs at all three sites.
    rita = sign_in("rita.research")
    assert rita.get(reverse("log_list")).status_code == 200
    assert sites_of(User.objects.get(username="rita.research")) == {
        "bos",
        "den",
        "syd",
    }
    some_log = selectors.log_list(user=User.objects.get(username="rita.research"))[0]
    assert rita.get(reverse("log_detail", args=[some_log.pk])).status_code == 200
    assert rita.get(reverse("log_edit", args=[some_log.pk])).status_code == 403

    # admin: everything, plus /admin/.
    admin = sign_in("admin")
    assert admin.get(reverse("admin:index")).status_code == 200
    for model in ("site", "cohort", "participant"):
        url = reverse(f"admin:participants_{model}_changelist")
        assert admin.get(url).status_code == 200
    for model in ("mentor", "assignment"):
        assert (
            admin.get(reverse(f"admin:mentors_{model}_changelist")).status_code == 200
        )
