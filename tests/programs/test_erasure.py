"""Issue 17, an erasure request: a site's lead erases a participant's preferred
name and every free text about them (logs, drafts, the feedback thread,
follow-up notes, unsaved typing, analysis texts, waiting imports), while the
trial's structured facts and the audit trail stay. Read back from the
database, never from the service's answer."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from analysis.models import Text
from analysis.snapshot import texts_add
from audit.models import AuditEvent, DataChange
from core.roles import Role
from logs_app.models import (
    InteractionLog,
    LogAutosave,
    LogComment,
    LogRevision,
    Technique,
)
from logs_app.services import LogConflict
from participants.models import Participant
from programs.erasure import ERASED, LOG_TEXT_FIELDS, participant_erase
from programs.imports import ImportRefused, import_apply, import_preview
from programs.models import ParticipantImport
from supervision.models import FollowUpItem
from tests.analysis.factories import analyst, project_of, reflection
from tests.conftest import NOW, client_for
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    ParticipantFactory,
    UserFactory,
    log_values,
    save_log,
)
from tests.supervision.factories import FollowUpItemFactory

# Every text below names the participant ("Jay") or says something only a log
# about them would: none of it may be left anywhere a page or export reads.
NARRATIVE = "Jay told me about the hospital stay and his sister's flat."
EDITED = "Jay moved back in with his sister after the hospital stay."
TEXTS = {
    "place": "Jay's sister's flat on Elm Street",
    "weekly_goal": "Jay: no cigarettes before lunch",
    "narrative": NARRATIVE,
    "reflection_feelings": "Jay's story of the ward stayed with me.",
    "reflection_concerns": "Should I ask Jay about his medication?",
    "concern": "Jay sounded low and mentioned the hospital again.",
}
SECRETS = ("Jay", "hospital", "sister", "Elm Street", "ward")
STRUCTURED = [
    field.attname
    for field in InteractionLog._meta.concrete_fields
    if field.name
    not in {*LOG_TEXT_FIELDS, "version", "updated_at", "question_answered_at"}
]


@pytest.fixture
def lead(site):
    """The site's lead: a supervisor who supervises none of the cast."""
    user = UserFactory(username="lead", roles=[Role.SUPERVISOR], sites=[site])
    site.lead = user
    site.save()
    return user


def _erase(client, participant, **data):
    return client.post(reverse("participant_erase", args=[participant.pk]), data)


def _confirm(participant, reason="participant_request"):
    return {"reason": reason, "study_id": participant.study_id}


@pytest.fixture
def their_data(mentor, participant, supervisor, site):
    """Everything Peerlog holds about `participant` that is typed text."""
    technique = Technique.objects.active().first()
    filed = save_log(
        mentor,
        log_values(participant, **TEXTS, techniques=[technique], co_ppm=12),
        submit=True,
    ).log
    # An edit: the revisions now hold the narrative before and after.
    filed = save_log(
        mentor,
        log_values(participant, **{**TEXTS, "narrative": EDITED}, co_ppm=12),
        submit=True,
        log=filed,
    ).log
    answered = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        reflection_concerns=TEXTS["reflection_concerns"],
        question_answered_at=NOW - dt.timedelta(hours=5),
    )
    draft = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        status=InteractionLog.Status.DRAFT,
        submitted_at=None,
        **TEXTS,
    )
    voided = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        is_voided=True,
        void_reason="Filed twice: both about Jay's hospital visit.",
    )
    for kind, body in [
        (LogComment.Kind.FEEDBACK, "Good that Jay talked about the hospital."),
        (LogComment.Kind.REPLY, "Jay asked me to keep his sister out of it."),
        (LogComment.Kind.REVIEW, "Reviewed: Jay is doing well."),
        (LogComment.Kind.REVIEW, ""),
    ]:
        LogComment.objects.create(
            log=filed, author=supervisor, kind=kind, body=body, created_at=NOW
        )
    resolved = FollowUpItemFactory(
        log=filed,
        state=FollowUpItem.State.RESOLVED,
        resolved_at=NOW,
        resolved_by=supervisor,
        resolution_note="Called Jay's sister; he is safe.",
    )
    LogAutosave.objects.create(
        log=filed,
        user=mentor.user,
        data={"narrative": "Jay said the hospital"},
        base_version=filed.version,
        saved_at=NOW,
    )
    project = project_of(analyst("leader", site), site)
    reflection(participant=participant, text="Jay's ward story moved me.")
    texts_add(project)
    return {
        "filed": filed,
        "answered": answered,
        "draft": draft,
        "voided": voided,
        "resolved": resolved,
        "project": project,
    }


@pytest.fixture
def someone_else(site, mentor, participant):
    """Another participant at the same site, mentored by the same mentor."""
    other = ParticipantFactory(study_id="NYC-0002", site=site, preferred_name="Jamie")
    AssignmentFactory(mentor=mentor, participant=other)
    log = InteractionLogFactory(mentor=mentor, participant=other, **TEXTS)
    LogComment.objects.create(
        log=log,
        author=mentor.supervisor,
        kind=LogComment.Kind.FEEDBACK,
        body="Jamie's plan sounds good.",
        created_at=NOW,
    )
    return other


def _logs(participant) -> list[dict]:
    return list(
        InteractionLog.objects.filter(participant=participant).order_by("pk").values()
    )


def _structured(participant) -> list:
    logs = InteractionLog.objects.filter(participant=participant).order_by("pk")
    return [
        (row, sorted(log.techniques.values_list("pk", flat=True)))
        for row, log in zip(logs.values(*STRUCTURED), logs, strict=True)
    ]


def test_erasure_removes_every_free_text_and_keeps_the_facts(
    lead, participant, their_data, someone_else, mentor
):
    filed = their_data["filed"]
    assert (
        "Jay told me about the hospital stay"
        in client_for(mentor.user)
        .get(reverse("log_detail", args=[filed.pk]))
        .content.decode()
    )  # the history shows the earlier text before
    facts = _structured(participant)
    others = (
        _logs(someone_else),
        list(LogComment.objects.filter(log__participant=someone_else).values()),
    )
    audit_before = list(AuditEvent.objects.order_by("pk").values())
    history_before = DataChange.objects.count()
    revisions_before = list(LogRevision.objects.order_by("pk").values())
    assert Text.objects.filter(log__participant=participant).count() == 1

    with time_machine.travel(NOW, tick=False):
        response = _erase(client_for(lead), participant, **_confirm(participant))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "participant_lifecycle", args=[participant.pk]
    )
    participant.refresh_from_db()
    assert participant.preferred_name == ""
    assert participant.erased_at == NOW
    # Every typed text of every log about them, the draft included.
    for log in _logs(participant):
        for name in LOG_TEXT_FIELDS:
            expected = ERASED if name == "void_reason" and log["is_voided"] else ""
            assert log[name] == expected, (log["id"], name)
    # The question's answered time goes with the question (a database rule).
    their_data["answered"].refresh_from_db()
    assert their_data["answered"].question_answered_at is None
    # The thread keeps its shape: who wrote what kind of message, when.
    bodies = list(
        LogComment.objects.filter(log=filed).order_by("pk").values_list("kind", "body")
    )
    assert bodies == [
        ("feedback", ERASED),
        ("reply", ERASED),
        ("review", ""),
        ("review", ""),
    ]
    resolved = FollowUpItem.objects.get(pk=their_data["resolved"].pk)
    assert (resolved.state, resolved.resolution_note) == ("resolved", ERASED)
    assert not LogAutosave.objects.filter(log__participant=participant).exists()
    assert not Text.objects.filter(log__participant=participant).exists()
    # Structured facts, option choices, the other participant and the audit
    # trail are as they were; revisions and history rows are all still there.
    assert _structured(participant) == facts
    assert (
        _logs(someone_else),
        list(LogComment.objects.filter(log__participant=someone_else).values()),
    ) == others
    assert list(AuditEvent.objects.order_by("pk").values())[: len(audit_before)] == (
        audit_before
    )
    assert list(LogRevision.objects.order_by("pk").values()) == revisions_before
    assert DataChange.objects.count() > history_before
    # Nothing of it is on the log's page any more, history included.
    page = client_for(mentor.user).get(reverse("log_detail", args=[filed.pk]))
    text = page.content.decode()
    assert "NYC-0001" in text
    for secret in SECRETS:
        assert secret not in text, secret


def test_one_audit_row_with_counts_and_the_reason_only(lead, participant, their_data):
    with time_machine.travel(NOW, tick=False):
        _erase(
            client_for(lead), participant, **_confirm(participant, "ethics_committee")
        )

    event = AuditEvent.objects.get(action="participant.erased")
    assert (event.actor, event.object_id, event.site_id) == (
        lead,
        str(participant.pk),
        participant.site_id,
    )
    assert event.details == {
        "reason": "ethics_committee",
        "repeat": False,
        "preferred_name": True,
        "logs": 5,  # filed, answered, draft, voided, the analysed reflection
        "comments": 3,  # the empty review had nothing to erase
        "followup_notes": 1,
        "autosaves": 1,
        "imports": 0,
        "revisions_kept": LogRevision.objects.filter(
            log__participant=participant
        ).count(),
        "analysis_texts_removed": 1,
        "analysis_projects": 1,
    }
    # No audit row, old or new, holds their name or a word about them.
    for row in AuditEvent.objects.values_list("details", flat=True):
        for secret in SECRETS:
            assert secret not in str(row), (secret, row)


def test_a_wrong_study_id_is_refused_next_to_the_field_keeping_the_choice(
    lead, participant, their_data
):
    before = _logs(participant)

    response = _erase(
        client_for(lead), participant, reason="ethics_committee", study_id="NYC-0002"
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {
        "study_id": ["This is not NYC-0001's study ID: type it as shown above."]
    }
    assert form["reason"].value() == "ethics_committee"
    assert form["study_id"].value() == "NYC-0002"
    page = response.content.decode()
    assert "This is not NYC-0001" in page and 'value="NYC-0002"' in page
    participant.refresh_from_db()
    assert (participant.preferred_name, participant.erased_at) == ("Jay", None)
    assert _logs(participant) == before
    assert not AuditEvent.objects.filter(action="participant.erased").exists()


def test_no_reason_is_refused_too(lead, participant):
    response = _erase(client_for(lead), participant, study_id="nyc-0001")

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["reason"]
    assert response.context["form"]["study_id"].value() == "nyc-0001"


def test_the_study_id_matches_whatever_its_case(lead, participant):
    response = _erase(
        client_for(lead), participant, reason="entered_in_error", study_id=" nyc-0001 "
    )

    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.erased_at is not None


@pytest.mark.parametrize("who", ["supervisor", "other_supervisor", "other_lead"])
def test_a_supervisor_who_does_not_lead_the_site_gets_404(
    who, request, lead, participant, their_data, other_site
):
    if who == "other_lead":
        user = UserFactory(roles=[Role.SUPERVISOR], sites=[other_site])
        other_site.lead = user
        other_site.save()
    else:
        user = request.getfixturevalue(who)
    client = client_for(user)
    before = _logs(participant)

    assert (
        client.get(reverse("participant_erase", args=[participant.pk])).status_code
        == 404
    )
    assert _erase(client, participant, **_confirm(participant)).status_code == 404

    participant.refresh_from_db()
    assert (participant.preferred_name, participant.erased_at) == ("Jay", None)
    assert _logs(participant) == before


def test_their_own_mentor_cannot_erase(mentor, participant):
    # Mentors never reach the program pages (403, as the matrix says).
    response = _erase(client_for(mentor.user), participant, **_confirm(participant))

    assert response.status_code == 403
    participant.refresh_from_db()
    assert participant.erased_at is None


def test_the_page_changes_nothing_and_says_what_goes_and_what_stays(
    lead, participant, their_data
):
    state = (
        _logs(participant),
        AuditEvent.objects.filter(action="participant.erased").count(),
    )

    response = client_for(lead).get(reverse("participant_erase", args=[participant.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    for words in (
        "What is removed",
        "What is kept, and why",
        "Type their study ID to confirm",
        "research exemptions",
        "cannot be recalled",
    ):
        assert words in page
    assert 'name="csrfmiddlewaretoken"' in page
    participant.refresh_from_db()
    assert (participant.preferred_name, participant.erased_at) == ("Jay", None)
    assert (
        _logs(participant),
        AuditEvent.objects.filter(action="participant.erased").count(),
    ) == state


def test_the_participant_page_links_to_it_and_then_says_when(lead, participant):
    url = reverse("participant_lifecycle", args=[participant.pk])
    page = client_for(lead).get(url).content.decode()
    assert reverse("participant_erase", args=[participant.pk]) in page
    assert "Erased on" not in page

    # 02:30 UTC on the 20th is still the 19th in New York, the site's clock.
    with time_machine.travel(
        dt.datetime(2026, 11, 20, 2, 30, tzinfo=dt.UTC), tick=False
    ):
        client = client_for(lead)  # signed in at that time
        response = _erase(client, participant, **_confirm(participant))
        page = client.get(response["Location"]).content.decode()

    assert "Erased on 19 Nov 2026" in page
    assert "Erased: their preferred name" in page  # the message


def _erase_at(when, lead, participant, reason) -> str:
    """Erase as `lead` signed in at `when`; the page it leads to."""
    with time_machine.travel(when, tick=False):
        client = client_for(lead)
        response = _erase(client, participant, **_confirm(participant, reason))
        assert response.status_code == 302
        return client.get(response["Location"]).content.decode()


def test_erasing_again_changes_only_what_was_written_since(
    lead, participant, mentor, their_data
):
    _erase_at(NOW, lead, participant, "participant_request")
    after_first = _logs(participant)

    # Again an hour later: nothing is left, nothing changes, no second row.
    page = _erase_at(NOW + dt.timedelta(hours=1), lead, participant, "other")

    assert "Already erased: nothing was left to remove." in page
    assert _logs(participant) == after_first
    assert AuditEvent.objects.filter(action="participant.erased").count() == 1

    # A log a phone sends later about them is erased by the next run, which
    # keeps the first erasure's time.
    late = InteractionLogFactory(mentor=mentor, participant=participant, **TEXTS)
    _erase_at(NOW + dt.timedelta(days=1), lead, participant, "other")

    late.refresh_from_db()
    assert all(getattr(late, name) == "" for name in LOG_TEXT_FIELDS)
    participant.refresh_from_db()
    assert participant.erased_at == NOW
    second = AuditEvent.objects.filter(action="participant.erased").latest("pk")
    assert (second.details["repeat"], second.details["logs"]) == (True, 1)
    assert second.details["reason"] == "other"


def test_an_edit_page_left_open_cannot_save_the_old_text_back(
    lead, participant, mentor, their_data
):
    filed = their_data["filed"]
    _erase(client_for(lead), participant, **_confirm(participant))

    with pytest.raises(LogConflict):
        save_log(mentor, log_values(participant, **TEXTS), submit=True, log=filed)

    filed.refresh_from_db()
    assert filed.narrative == ""


def test_a_waiting_import_loses_their_name_and_cannot_write_it_back(
    lead, participant, site
):
    data = (
        b"study_id,site,research_consent,enrolled_on,preferred_name\n"
        b"NYC-0001,nyc,yes,2026-01-05,Jay Bird\n"
        b"NYC-0077,nyc,yes,2026-01-05,Robin\n"
    )
    record = import_preview(user=lead, sites=[site], name="list.csv", data=data)
    assert "Jay Bird" in str(record.plan)

    _erase(client_for(lead), participant, **_confirm(participant))

    record.refresh_from_db()
    assert "Jay" not in str(record.plan) and "Robin" in str(record.plan)
    assert [row["study_id"] for row in record.plan["add"]] == ["NYC-0077"]
    assert record.plan["change"] == [] and record.plan["unchanged"] == 1
    import_apply(user=lead, sites=[site], record=record)  # adds NYC-0077 only
    participant.refresh_from_db()
    assert participant.preferred_name == ""
    assert Participant.objects.get(study_id="NYC-0077").preferred_name == "Robin"
    assert ParticipantImport.objects.get().status == "applied"
    with pytest.raises(ImportRefused):
        import_apply(user=lead, sites=[site], record=record)


def test_a_later_import_of_the_trials_file_does_not_write_the_name_back(
    lead, participant, site
):
    """Found in review: re-importing the usual enrolment file after an
    erasure set the preferred name again (and the same file then changed
    something each time)."""
    _erase(client_for(lead), participant, **_confirm(participant))
    data = (
        b"study_id,site,research_consent,enrolled_on,preferred_name\n"
        b"NYC-0001,nyc,yes,2026-01-05,Jay Bird\n"
    )
    record = import_preview(user=lead, sites=[site], name="list.csv", data=data)
    assert record.plan["change"] == [] and record.plan["unchanged"] == 1
    with pytest.raises(ImportRefused, match="Nothing to change"):
        import_apply(user=lead, sites=[site], record=record)
    participant.refresh_from_db()
    assert participant.preferred_name == ""


def test_where_the_name_was_shown_the_study_id_stands_alone(
    lead, participant, mentor, log
):
    _erase(client_for(lead), participant, **_confirm(participant))

    client = client_for(mentor.user)
    for url in (
        reverse("my_week"),
        reverse("log_detail", args=[log.pk]),
        reverse("participant_detail", args=[participant.pk]),
        reverse("log_create"),
    ):
        page = client.get(url).content.decode()
        assert "NYC-0001" in page, url
        assert "NYC-0001 –" not in page and "Jay" not in page, url


@pytest.mark.parametrize("logs", [1, 12])
def test_the_queries_do_not_grow_with_their_logs(
    logs, lead, participant, mentor, supervisor, django_assert_num_queries
):
    for _ in range(logs):
        log = InteractionLogFactory(mentor=mentor, participant=participant, **TEXTS)
        LogComment.objects.create(
            log=log,
            author=supervisor,
            kind=LogComment.Kind.FEEDBACK,
            body="Jay is doing well.",
            created_at=NOW,
        )
    participant = Participant.objects.select_related("site").get(pk=participant.pk)

    # The savepoint; (PostgreSQL: the app user for the history triggers); the
    # participant locked; logs, comments, follow-up notes and autosaves each
    # in one statement; waiting imports; the revisions counted; the
    # participant saved; the release. Then the analysis projects at their
    # site and those holding their texts; the caller's participant read again;
    # the actor's roles; the audit row.
    expected = 16 if connection.vendor == "postgresql" else 15
    with django_assert_num_queries(expected):
        done = participant_erase(actor=lead, participant=participant, reason="other")

    assert (done["logs"], done["comments"]) == (logs, logs)


@pytest.mark.django_db(transaction=True)
def test_an_erasure_waits_for_an_import_being_applied_instead_of_deadlocking(
    lead, participant, site
):
    """Review of issue 17: an import's apply locks the import, then writes
    participants; erasure locked the participant, then the waiting imports.
    Run at once on PostgreSQL the two deadlocked (a 500 for one of them).
    Now erasure takes the imports first and waits its turn."""
    import threading
    import time

    from django.db import transaction

    if connection.vendor != "postgresql":
        pytest.skip("a real concurrent lock needs PostgreSQL")
    data = (
        b"study_id,site,research_consent,enrolled_on,preferred_name\n"
        b"NYC-0001,nyc,yes,2026-01-05,Jay Bird\n"
    )
    record = import_preview(user=lead, sites=[site], name="list.csv", data=data)
    holding, errors = threading.Event(), []

    def apply_like() -> None:
        """What import_apply does, slowed: the import's row, then a write to
        the participant."""
        try:
            with transaction.atomic():
                ParticipantImport.objects.select_for_update().get(pk=record.pk)
                holding.set()
                time.sleep(1)  # the erasure starts meanwhile
                Participant.objects.filter(pk=participant.pk).update(
                    preferred_name="Jay Bird"
                )
        except Exception as error:  # noqa: BLE001 (the deadlock is the finding)
            errors.append(error)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=apply_like)
    thread.start()
    assert holding.wait(30)
    participant_erase(actor=lead, participant=participant, reason="other")
    thread.join(30)
    assert errors == []
    participant.refresh_from_db()
    assert participant.preferred_name == ""  # the erasure ran after the write
