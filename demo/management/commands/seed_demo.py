"""Build a realistic demo program: 3 sites in different time zones, 2 cohorts
each, 2 supervisors, 8 mentors, 30 participants and about 6 months of logs.

Idempotent: a second run changes nothing and prints the logins again.
`--reset` deletes the demo data first and rebuilds it.

Lives in demo, the top layer, because it seeds every app down to the export
rights (and must delete demo export records before their users)."""

import datetime as dt
import random
import uuid

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.triggers import history_purge_allowed
from core.roles import Role
from demo.analysis_seed import analysis_reset, analysis_seed
from demo.content import (
    CONCERNS,
    DEMO_PASSWORD,
    FEEDBACK,
    FEELINGS,
    FOLLOW_UP_NOTES,
    MENTORS,
    NARRATIVES,
    RETURN_NOTE,
    SITES,
    SUPERVISORS,
    WORRIES,
)
from exports.models import ExportJob, ExportLevel, ExportRight
from logs_app.fields import MEETING_ONLY_FIELDS
from logs_app.models import (
    InteractionLog,
    LogAutosave,
    LogComment,
    LogRevision,
    RoleFunction,
    Technique,
    Topic,
)
from logs_app.review import log_comment_add, log_review
from logs_app.services import log_save
from mentors.models import Assignment, Mentor
from participants.models import Cohort, Participant, Site, SiteAccess
from supervision.followup import followup_resolve
from supervision.models import FollowUpItem


class Command(BaseCommand):
    help = "Build (or with --reset rebuild) the demo program and print demo logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="delete demo data first"
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, reset: bool, seed: int, **options) -> None:
        with transaction.atomic():
            if reset:
                self._reset()
            if Site.objects.filter(code=SITES[0][0]).exists():
                self.stdout.write(
                    "Demo data is already there (use --reset to rebuild)."
                )
            else:
                self._build(random.Random(seed))
        self._print_logins()

    # --- build -----------------------------------------------------------------
    def _user(self, username: str, first: str, last: str, role: Role, **extra) -> User:
        user = User.objects.create_user(
            username=username,
            email=f"{username}@example.org",
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            **extra,
        )
        user.groups.add(Group.objects.get(name=role.value))
        return user

    def _build(self, rng: random.Random) -> None:
        self._safety_done = False
        self._worry_done = False
        self._left_open = False
        now = timezone.now()
        sites, cohorts = self._places(now.date())
        supervisors = self._staff(sites, now)
        mentors = self._mentors(rng, sites, supervisors, now)
        self._caseloads(rng, mentors, cohorts, now)
        self._supervise(rng, mentors, now)
        self._draft(mentors[0], now)
        # Issue 15: a reflection analysis half coded by two coders.
        ari = self._user("ari.analyst", "Ari", "Analyst", Role.RESEARCH)
        for site in sites.values():
            SiteAccess.objects.create(user=ari, site=site)
        analysis_seed(
            rng=rng,
            lead=User.objects.get(username="rita.research"),
            coder=ari,
            sites=list(sites.values()),
            now=now,
        )

    def _places(self, today: dt.date) -> tuple[dict, dict]:
        """The sites, each with a finished cohort and a running one."""
        sites = {}
        for code, name, tz in SITES:
            sites[code] = Site.objects.create(code=code, name=name, time_zone=tz)
        cohorts = {}
        for code, site in sites.items():
            # The protocols (issue 17): weekly for 12 weeks, then a shorter
            # fortnightly follow-up for the second cohort.
            first = Cohort.objects.create(
                site=site,
                name="Cohort 1",
                start_date=today - dt.timedelta(days=240),
                end_date=today - dt.timedelta(days=60),
                planned_contacts=12,
                contact_every_days=7,
                window_days=3,
                planned_minutes=30,
            )
            second = Cohort.objects.create(
                site=site,
                name="Cohort 2",
                start_date=today - dt.timedelta(days=120),
                planned_contacts=8,
                contact_every_days=14,
                window_days=4,
                planned_minutes=45,
            )
            cohorts[code] = [first, second]
        return sites, cohorts

    def _staff(self, sites: dict, now) -> list[User]:
        """The admin, a researcher with the text export right, and the
        supervisors (each leads their first site); returns the supervisors."""
        admin = self._user("admin", "Alex", "Admin", Role.ADMIN, is_staff=True)
        admin.is_superuser = True
        admin.save(update_fields=["is_superuser"])
        research = self._user("rita.research", "Rita", "Research", Role.RESEARCH)
        for site in sites.values():
            SiteAccess.objects.create(user=research, site=site)
        ExportRight.objects.create(
            user=research,
            level=ExportLevel.TEXT,
            granted_by=admin,
            granted_at=now,
            note="Demo: approved research protocol",
        )
        supervisors = []
        for username, first, last, site_codes in SUPERVISORS:
            supervisor = self._user(username, first, last, Role.SUPERVISOR)
            for code in site_codes:
                SiteAccess.objects.create(user=supervisor, site=sites[code])
            supervisors.append(supervisor)
            sites[site_codes[0]].lead = supervisor
            sites[site_codes[0]].save(update_fields=["lead"])
        return supervisors

    def _mentors(self, rng, sites: dict, supervisors: list[User], now) -> list[Mentor]:
        mentors = []
        for username, first, last, code, sup in MENTORS:
            user = self._user(username, first, last, Role.MENTOR)
            mentor = Mentor.objects.create(
                user=user,
                supervisor=supervisors[sup],
                reflections_consent_at=now if rng.random() < 0.75 else None,
            )
            mentor.sites.add(sites[code])
            mentors.append(mentor)
        return mentors

    def _caseloads(self, rng, mentors: list[Mentor], cohorts: dict, now) -> None:
        """Three or four participants per mentor, each with months of logs."""
        today = now.date()
        techniques = list(Technique.objects.active())
        topics = list(Topic.objects.active())
        functions = {f.code: f for f in RoleFunction.objects.active()}
        counter = 0
        for mentor in mentors:
            site = mentor.sites.get()
            for slot in range(rng.choice([3, 4, 4])):
                counter += 1
                cohort = cohorts[site.code][1 if slot % 2 else 0]
                # The demo's logs span six months: a participant is enrolled
                # when their mentor starts, so the protocol's dose reads true.
                start = max(cohort.start_date, today - dt.timedelta(days=182))
                participant = Participant.objects.create(
                    study_id=f"{site.code.upper()}-{counter:04d}",
                    site=site,
                    cohort=cohort,
                    preferred_name=rng.choice(
                        ["", "Jay", "Pat", "Robin", "Sam", "Lou"]
                    ),
                    enrolled_on=start,
                    has_research_consent=rng.random() < 0.9,
                )
                end = cohort.end_date
                Assignment.objects.create(
                    mentor=mentor,
                    participant=participant,
                    start_date=start,
                    end_date=end,
                )
                self._logs(
                    rng,
                    mentor,
                    participant,
                    start,
                    end or today,
                    now,
                    techniques,
                    topics,
                    functions,
                )

    def _draft(self, maya: Mentor, now) -> None:
        """One unfinished draft for the first mentor, as after a visit yesterday
        (the site's yesterday: any start time she types is in the past) with
        someone she mentors now, so that "finish the draft" can be submitted."""
        assignment = (
            Assignment.objects.filter(mentor=maya, end_date__isnull=True)
            .select_related("participant__site")
            .order_by("participant__study_id")
            .first()
        )
        participant = assignment.participant
        yesterday = now.astimezone(participant.site.tzinfo).date() - dt.timedelta(
            days=1
        )
        log_save(
            actor=maya.user,
            mentor=maya,
            values={
                "participant": participant,
                "contact_date": max(yesterday, assignment.start_date),
                "start_time": dt.time(14, 0),
                "outcome": InteractionLog.Outcome.MET,
                "mode": InteractionLog.Mode.IN_PERSON,
                "narrative": "We met at the park and talked about",
            },
            idempotency_key=uuid.uuid4(),
            log=None,
            expected_version=None,
            submit=False,
            now=now,
        )

    def _logs(
        self, rng, mentor, participant, start, end, now, techniques, topics, functions
    ):
        tz = participant.site.tzinfo
        local_now = now.astimezone(tz)
        day = start + dt.timedelta(days=rng.randint(0, 6))
        co, cigarettes = rng.randint(15, 35), rng.randint(10, 30)
        stages = [c for c, _ in InteractionLog.Stage.choices]
        stage = rng.randint(0, 2)
        while day <= end and day < local_now.date():
            progress = (day - start).days / 182
            outcome = rng.choices(list(InteractionLog.Outcome), weights=[80, 10, 5, 5])[
                0
            ]
            met = outcome == InteractionLog.Outcome.MET
            co = max(2, co - rng.randint(-1, 3))
            cigarettes = max(0, cigarettes - rng.randint(-1, 2))
            if rng.random() < 0.15:
                stage = min(stage + 1, 4)
            # Drift: later contacts serve companionship more and cessation less.
            weights = {
                "cessation": 5 - 3 * progress,
                "relationship": 2,
                "companionship": 1 + 3 * progress,
                "health_life": 1.5,
                "advocacy": 0.7,
            }
            chosen = {rng.choices(list(weights), weights=list(weights.values()))[0]}
            if rng.random() < 0.4:
                chosen.add(rng.choice(list(weights)))
            safety = (
                not self._safety_done and met and (local_now.date() - day).days < 10
            )
            self._safety_done = self._safety_done or safety
            # One recent concern too (issue 14), without a draw from `rng`: the
            # rest of the demo stays as it was.
            worry = (
                not self._worry_done
                and met
                and not safety
                and (local_now.date() - day).days < 10
            )
            self._worry_done = self._worry_done or worry
            values = {
                "participant": participant,
                "contact_date": day,
                "start_time": dt.time(rng.randint(9, 17), rng.choice([0, 15, 30, 45])),
                "duration_minutes": rng.choice([30, 45, 60, 60, 75, 90, 120])
                if met
                else None,
                "mode": self._mode(rng, met),
                "place": rng.choice(["Coffee shop", "Clinic", "Park", "Library", ""])
                if met
                else "",
                "outcome": outcome,
                # An attempt leaves the catalogue's meeting-only fields empty
                # (None is "empty" to log_save).
                **(
                    {
                        "techniques": rng.sample(techniques, rng.randint(1, 3)),
                        "topics": rng.sample(topics, rng.randint(1, 3)),
                        "role_functions": [functions[c] for c in chosen],
                        "co_ppm": co if rng.random() < 0.5 else None,
                        "cigarettes_per_day": cigarettes,
                        "stage_of_change": stages[stage] if rng.random() < 0.3 else "",
                        "weekly_goal": "Delay the first cigarette by an hour.",
                        "last_goal_outcome": rng.choice(["met", "partly", "not_met"]),
                    }
                    if met
                    else dict.fromkeys(MEETING_ONLY_FIELDS)
                ),
                "narrative": rng.choice(NARRATIVES).format(p=participant.study_id)
                if met
                else "Called twice, no answer. Left a message.",
                "reflection_feelings": rng.choice(FEELINGS)
                if rng.random() < 0.45
                else "",
                "reflection_concerns": rng.choice(CONCERNS)
                if rng.random() < 0.08
                else "",
                "concern": WORRIES[0] if worry else "",
                "discuss_in_supervision": rng.random() < 0.08,
                "safety_concern": safety,
            }
            filed_at = dt.datetime.combine(day, dt.time(20, 0), tzinfo=tz)
            log_save(
                actor=mentor.user,
                mentor=mentor,
                values=values,
                idempotency_key=uuid.UUID(int=rng.getrandbits(128)),
                log=None,
                expected_version=None,
                submit=True,
                now=min(filed_at, now),
            )
            day += dt.timedelta(days=rng.randint(5, 9))

    def _supervise(self, rng: random.Random, mentors: list[Mentor], now) -> None:
        """Supervisors have reviewed everything older than ten days, with some
        feedback; the newest logs wait in the queue. Maya has one log returned
        for revision and one piece of feedback she has not read yet."""
        maya = mentors[0]
        recent = list(
            InteractionLog.objects.filter(
                mentor=maya,
                status=InteractionLog.Status.SUBMITTED,
                outcome=InteractionLog.Outcome.MET,
            ).order_by("-submitted_at")[:2]
        )
        if len(recent) == 2:
            log_review(
                actor=maya.supervisor,
                log=recent[1],
                expected_version=recent[1].version,
                approve=False,
                comment=RETURN_NOTE,
                now=now - dt.timedelta(hours=20),
            )
            log_comment_add(
                actor=maya.supervisor,
                log=recent[0],
                body="You stayed with them through a hard moment. That matters. "
                "How are you doing after it?",
                now=now - dt.timedelta(hours=3),
            )

        cutoff = now - dt.timedelta(days=10)
        for log in (
            InteractionLog.objects.filter(
                mentor__in=mentors, status=InteractionLog.Status.SUBMITTED
            )
            .select_related("mentor")
            .order_by("submitted_at")
        ):
            supervisor = log.mentor.supervisor
            if log.submitted_at > cutoff:
                continue
            reviewed_at = min(
                log.submitted_at + dt.timedelta(days=rng.randint(1, 5)), now
            )
            comment = rng.choice(FEEDBACK) if rng.random() < 0.25 else ""
            log_review(
                actor=supervisor,
                log=log,
                expected_version=log.version,
                approve=True,
                comment=comment,
                now=reviewed_at,
            )
            if comment:
                LogComment.objects.filter(log=log).update(acknowledged_at=reviewed_at)
            self._follow_up(log, supervisor, reviewed_at, now)

    def _follow_up(self, log: InteractionLog, supervisor: User, at, now) -> None:
        """Older follow-up items were resolved when their log was reviewed, but
        for one concern or request to talk from the last weeks left open, which
        every agenda carries (issue 14). No draw from the random generator: the
        rest of the demo stays as it was."""
        recent = log.submitted_at > now - dt.timedelta(days=30)
        for item in FollowUpItem.objects.filter(log=log).order_by("pk"):
            safety = item.kind == FollowUpItem.Kind.SAFETY
            if recent and not safety and not self._left_open:
                self._left_open = True
                continue
            followup_resolve(
                actor=supervisor,
                item=item,
                expected_version=item.version,
                note=FOLLOW_UP_NOTES[item.pk % len(FOLLOW_UP_NOTES)],
                now=at,
            )

    @staticmethod
    def _mode(rng: random.Random, met: bool) -> str:
        if not met:  # attempts are calls and texts
            return rng.choice([InteractionLog.Mode.PHONE, InteractionLog.Mode.TEXT])
        return rng.choices(list(InteractionLog.Mode), weights=[60, 30, 5, 5])[0]

    # --- reset and logins -----------------------------------------------------------
    def _reset(self) -> None:
        codes = [code for code, _, _ in SITES]
        usernames = (
            ["admin", "rita.research", "ari.analyst"]
            + [row[0] for row in SUPERVISORS]
            + [row[0] for row in MENTORS]
        )
        analysis_reset(usernames, codes)
        logs = InteractionLog.objects.filter(participant__site__code__in=codes) | (
            InteractionLog.objects.filter(mentor__user__username__in=usernames)
        )
        LogAutosave.objects.filter(log__in=logs).delete()
        LogComment.objects.filter(log__in=logs).delete()
        # Filing made follow-up items (issue 14); they protect their logs.
        FollowUpItem.objects.filter(log__in=logs).delete()
        # Revisions and audit rows are append-only on PostgreSQL (AUD-3): the
        # demo's own reset is the one place allowed to delete them.
        with history_purge_allowed():
            LogRevision.objects.filter(log__in=logs).delete()
            AuditEvent.objects.filter(actor__username__in=usernames).delete()
        logs.delete()
        Assignment.objects.filter(participant__site__code__in=codes).delete()
        Mentor.objects.filter(user__username__in=usernames).delete()
        Participant.objects.filter(site__code__in=codes).delete()
        Cohort.objects.filter(site__code__in=codes).delete()
        SiteAccess.objects.filter(site__code__in=codes).delete()
        Site.objects.filter(code__in=codes).delete()
        ExportJob.objects.filter(requested_by__username__in=usernames).delete()
        User.objects.filter(username__in=usernames).delete()
        self.stdout.write("Demo data deleted.")

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})")
        )
        rows = [
            ("mentor", "maya.mentor", "files logs; has a draft waiting"),
            ("mentor", "tom.mentor", "another mentor, at the Sydney site"),
            (
                "supervisor",
                "sam.supervisor",
                "supervises the Boston and Denver mentors",
            ),
            ("supervisor", "sofia.supervisor", "supervises the Sydney mentors"),
            (
                "research staff",
                "rita.research",
                "reads and exports logs (with text); leads the reflection analysis",
            ),
            ("research staff", "ari.analyst", "codes reflections with Rita"),
            ("admin", "admin", "everything, including /admin/"),
        ]
        for role, username, note in rows:
            self.stdout.write(f"  {role:<15} {username:<18} {note}")
