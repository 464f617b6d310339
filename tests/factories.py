"""factory_boy factories for the domain. Options come from the seed migration."""

import datetime as dt
import uuid

import factory
from django.contrib.auth.models import Group, User

from core.roles import Role
from logs_app.models import InteractionLog
from logs_app.services import log_save
from mentors.models import Assignment, Mentor
from participants.models import Cohort, Participant, Site, SiteAccess

PASSWORD = "correct-horse-battery-staple"


# Staff first names: varied scripts and lengths, none holding a name the
# fixtures give a participant (see UserFactory.first_name).
FIRST_NAMES = ("Ana", "Bongani", "Chloé", "Dmitri", "Eun-ji", "Farah", "Gwen", "Hōne")
PARTICIPANT_NAMES = ("Jay", "Jamie")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    # Not Faker's names: tests assert that a participant's preferred name
    # ("Jay", "Jamie") is absent from mail and audit rows, and Faker sometimes
    # named the supervisor Jay or Jayden, failing one test in a few hundred runs.
    first_name = factory.Iterator(FIRST_NAMES)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs) -> None:
        if create and extracted:
            self.groups.add(
                *Group.objects.filter(name__in=[r.value for r in extracted])
            )
        if create:
            self.save()

    @factory.post_generation
    def sites(self, create: bool, extracted: list | None, **kwargs) -> None:
        """`sites=[...]`: grant the user those sites (SiteAccess rows)."""
        for site in (extracted or []) if create else []:
            SiteAccess.objects.create(user=self, site=site)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Site {n}")
    code = factory.Sequence(lambda n: f"s{n}")
    time_zone = "America/New_York"


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")
    start_date = dt.date(2026, 1, 5)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    study_id = factory.Sequence(lambda n: f"P-{n:04d}")
    site = factory.SubFactory(SiteFactory)
    enrolled_on = dt.date(2026, 1, 5)
    has_research_consent = True


class MentorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mentor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, roles=[Role.MENTOR])

    @factory.post_generation
    def sites(self, create: bool, extracted: list[Site] | None, **kwargs) -> None:
        if create and extracted:
            self.sites.add(*extracted)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    mentor = factory.SubFactory(MentorFactory)
    participant = factory.SubFactory(ParticipantFactory)
    start_date = dt.date(2026, 1, 5)


class SiteAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteAccess

    user = factory.SubFactory(UserFactory)
    site = factory.SubFactory(SiteFactory)


class InteractionLogFactory(factory.django.DjangoModelFactory):
    """A submitted, complete log. Written directly (not through the service):
    for fixtures only, never to test behaviour of writes."""

    class Meta:
        model = InteractionLog

    mentor = factory.SubFactory(MentorFactory)
    participant = factory.SubFactory(ParticipantFactory)
    status = InteractionLog.Status.SUBMITTED
    idempotency_key = factory.LazyFunction(uuid.uuid4)
    contact_date = dt.date(2026, 11, 16)
    start_time = dt.time(10, 0)
    duration_minutes = 60
    mode = InteractionLog.Mode.IN_PERSON
    outcome = InteractionLog.Outcome.MET
    narrative = "We met at the clinic and talked about cravings after meals."
    submitted_at = factory.LazyFunction(
        lambda: dt.datetime(2026, 11, 16, 20, 0, tzinfo=dt.UTC)
    )
    # A reviewed log names who reviewed it and when (a database constraint).
    reviewed_by = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == InteractionLog.Status.REVIEWED),
        yes_declaration=factory.LazyAttribute(
            lambda o: o.mentor.supervisor or UserFactory()
        ),
        no_declaration=None,
    )
    reviewed_at = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == InteractionLog.Status.REVIEWED),
        yes_declaration=factory.LazyFunction(
            lambda: dt.datetime(2026, 11, 17, 9, 0, tzinfo=dt.UTC)
        ),
        no_declaration=None,
    )


def log_form(participant, /, **overrides) -> dict:
    """What the log form posts to submit a complete meeting with `participant`.
    `overrides` change or add fields; an override of None leaves the field out."""
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "participant": str(participant.pk),
        "outcome": "met",
        "contact_date": "2026-11-18",
        "start_time": "10:30",
        "duration_minutes": "45",
        "mode": "in_person",
        "narrative": "We met at the library and made a plan for cravings.",
        "action": "submit",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def log_values(participant, /, **overrides) -> dict:
    """The `values` log_save takes for a complete phone meeting with `participant`."""
    return {
        "participant": participant,
        "contact_date": dt.date(2026, 11, 18),
        "start_time": dt.time(10, 0),
        "duration_minutes": 30,
        "mode": "phone",
        "outcome": "met",
        "narrative": "We talked on the phone about the week and made a plan.",
        **overrides,
    }


def save_log(mentor, values: dict, *, submit: bool, log=None, key=None):
    """log_save as the log form's view calls it: `mentor` files a new log, or
    edits `log` at its current version; `key` is the form's idempotency key."""
    return log_save(
        actor=mentor.user,
        mentor=mentor,
        values=values,
        idempotency_key=key or uuid.uuid4(),
        log=log,
        expected_version=log.version if log else None,
        submit=submit,
    )
