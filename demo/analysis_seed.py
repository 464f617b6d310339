"""The demo's reflection analysis (issue 15): one project, half coded by two
coders, so agreement, disagreements and consensus show at once.

Rita (research staff) leads the project "How mentors see their role" over the
three sites and codes; Ari codes too. Both hold the right to analyse at every
site. Rita screens every text but the newest dozen (one with nothing about
the role is excluded with the project's first reason); the first half of the
included texts is coded by both, from the codebook's words, with Ari seeing
it differently now and then; two disagreements are settled with a note; three
quotes are chosen. Built through the same services as the pages, so it is
audited like real work."""

import random

from django.contrib.auth.models import User

from analysis import codebook as codebook_services
from analysis import coding, consensus, screening, themes
from analysis.models import (
    AnalysisRight,
    Category,
    Code,
    Coding,
    Consensus,
    Project,
    Quote,
    Text,
)
from analysis.permissions import ProjectAccess
from analysis.services import member_set, project_create
from demo.content import ANALYSIS_CODEBOOK, ANALYSIS_QUESTION

PROJECT_NAME = "How mentors see their role"
NOT_ROLE = ("Nothing much to add today.",)
UNSCREENED = 12


def analysis_seed(*, rng: random.Random, lead: User, coder: User, sites, now) -> None:
    for user in (lead, coder):
        for site in sites:
            AnalysisRight.objects.create(
                user=user, site=site, basis="Demo: approved analysis protocol"
            )
    project, _flow = project_create(
        actor=lead,
        data={
            "name": PROJECT_NAME,
            "question": ANALYSIS_QUESTION,
            "field": "reflection_feelings",
            "sites": list(sites),
            "cohorts": [],
        },
    )
    member_set(
        actor=lead, project=project, user=coder, codes=True, screens=False,
        adjudicates=False,
    )  # fmt: skip
    words = _codebook(project, lead)
    access = ProjectAccess.of(lead, project)
    texts = list(project.texts.order_by("pk"))
    for text in texts[:-UNSCREENED]:  # the newest wait for screening
        excluded = text.body.strip() in NOT_ROLE
        screening.screening_decide(
            actor=lead, access=access, text_pk=text.pk, include=not excluded,
            reason=project.exclusion_reasons[0] if excluded else "", now=now,
        )  # fmt: skip
    included = list(
        project.texts.filter(screening=Text.Screening.INCLUDED).order_by("pk")
    )
    for text in included[: len(included) // 2]:
        _code_both(rng, text, lead, coder, words, now)
    _settle_and_quote(project, lead, now)


def _codebook(project: Project, lead: User) -> dict[Code, list[str]]:
    words: dict[Code, list[str]] = {}
    for name, description, codes in ANALYSIS_CODEBOOK:
        codebook_services.category_save(
            actor=lead, project=project, reason="First codebook from the pilot",
            data={"name": name, "description": description},
        )  # fmt: skip
        category = Category.objects.get(project=project, name=name)
        for code_name, definition, when, when_not, example, colour, keys in codes:
            codebook_services.code_save(
                actor=lead, project=project, reason="First codebook from the pilot",
                data={
                    "name": code_name, "definition": definition,
                    "when_to_use": when, "when_not_to_use": when_not,
                    "example": example, "color": colour, "category": category,
                },
            )  # fmt: skip
            words[Code.objects.get(project=project, name=code_name)] = keys
    return words


def _code_both(rng, text: Text, lead, coder, words, now) -> None:
    body = text.body.casefold()
    applies = [code for code, keys in words.items() if any(k in body for k in keys)]
    for who in (lead, coder):
        chosen = set(applies)
        if who == coder and rng.random() < 0.3:  # Ari reads some texts otherwise
            if chosen and rng.random() < 0.5:
                chosen.discard(rng.choice(sorted(chosen, key=lambda c: c.pk)))
            else:
                chosen.add(rng.choice(sorted(words, key=lambda c: c.pk)))
        passage = next(
            (
                (code, key)
                for code in sorted(chosen, key=lambda c: c.pk)
                for key in words[code]
                if key in body
            ),
            None,
        )
        if passage is not None and who == lead:
            code, key = passage
            start = body.index(key)
            coding.coding_passage_add(
                actor=who, text=text, code=code, start=start, end=start + len(key)
            )
            chosen.discard(code)
        coding.coding_whole_set(
            actor=who, text=text, codes=sorted(chosen, key=lambda c: c.pk)
        )
        coding.coder_text_finish(actor=who, text=text, now=now)


def _settle_and_quote(project: Project, lead: User, now) -> None:
    rows = consensus.disagreement_list(project, offset=0, limit=2)
    for row in rows:
        text = Text.objects.get(pk=row.text_id)
        code = Code.objects.get(pk=row.code_id)
        consensus.consensus_settle(
            actor=lead, project=project, text=text, code=code, applies=True,
            note="Discussed in the analysis meeting: the text speaks to this code.",
            now=now,
        )  # fmt: skip
    for code_name, passage in (
        ("Boundaries", "I said no when they asked to borrow money."),
        ("Role clarity from supervision", "I understand better why I can't be"),
        ("Craving", "made me want a cigarette on the way home"),
    ):
        code = Code.objects.get(project=project, name=code_name)
        text = project.texts.filter(
            screening=Text.Screening.INCLUDED, body__contains=passage
        ).first()
        if text is not None:
            themes.quote_add(
                actor=lead, project=project, text=text, code=code,
                passage=passage, note="Says it in the mentor's own words.",
            )  # fmt: skip


def analysis_reset(usernames: list[str], site_codes: list[str]) -> None:
    """Delete the demo's projects (with their texts, codings and decisions)
    and its analysis rights."""
    projects = Project.objects.filter(created_by__username__in=usernames)
    Quote.objects.filter(text__project__in=projects).delete()
    Consensus.objects.filter(text__project__in=projects).delete()
    Coding.objects.filter(text__project__in=projects).delete()
    for project in projects:
        project.members.all().delete()
        project.texts.all().delete()
        project.codes.all().delete()
        project.categories.all().delete()
        project.codebook_versions.all().delete()
        project.delete()
    AnalysisRight.objects.filter(site__code__in=site_codes).delete()
    AnalysisRight.objects.filter(user__username__in=usernames).delete()
