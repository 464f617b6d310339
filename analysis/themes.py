"""Themes and quotes (issue 15): exemplary quotes per code, and the theme
summary, grouped by category, with counts from the final code set
(`analysis.consensus.final_code_counts`) by site and by cohort."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from analysis.consensus import final_code_counts, finished_text_count
from analysis.models import Category, Code, Project, Quote, Text
from audit.services import audit_record
from participants.models import Cohort, Site


def quote_add(
    *, actor, project: Project, text: Text, code: Code, passage: str, note: str
) -> Quote:
    """Mark `passage` of `text` (its first occurrence; empty for the whole
    text) as an exemplary quote for `code`."""
    if text.project_id != project.pk or code.project_id != project.pk:
        raise ValidationError(_("The text and the code must be of this project."))
    passage = (passage or "").strip()
    start = end = None
    if passage:
        start = text.body.find(passage)
        if start < 0:
            raise ValidationError(
                {"passage": _("This passage is not in the text. Copy it exactly.")}
            )
        end = start + len(passage)
    # The unique constraint cannot see two whole-text quotes (NULLs differ).
    if Quote.objects.filter(text=text, code=code, start=start, end=end).exists():
        raise ValidationError(_("This passage is already a quote for this code."))
    try:
        with transaction.atomic():
            quote = Quote.objects.create(
                text=text,
                code=code,
                start=start,
                end=end,
                note=(note or "").strip(),
                chosen_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            _("This passage is already a quote for this code.")
        ) from None
    audit_record(
        actor=actor,
        action="analysis.quote.add",
        obj=text,
        details={"project": project.pk, "code": code.pk, "start": start, "end": end},
    )
    return quote


def quote_remove(*, actor, project: Project, quote: Quote) -> None:
    details = {"project": project.pk, "code": quote.code_id, "quote": quote.pk}
    text = quote.text
    quote.delete()
    audit_record(actor=actor, action="analysis.quote.remove", obj=text, details=details)


@dataclass
class QuoteView:
    quote: Quote
    excerpt: str
    whole: bool


@dataclass
class CodeTheme:
    code: Code
    texts: int = 0
    by_site: list[tuple[Site, int]] = field(default_factory=list)
    by_cohort: list[tuple[Cohort | None, int]] = field(default_factory=list)
    quotes: list[QuoteView] = field(default_factory=list)


@dataclass
class CategoryTheme:
    category: Category | None
    codes: list[CodeTheme]


@dataclass
class ThemeSummary:
    finished: int
    categories: list[CategoryTheme]


def _quote_view(quote: Quote) -> QuoteView:
    body = quote.text.body
    if quote.start is None:
        return QuoteView(quote, body, True)
    return QuoteView(quote, body[quote.start : quote.end], False)


def theme_summary(project: Project) -> ThemeSummary:
    """Every code by category with its count of texts in the final code set,
    by site and by cohort, and its quotes. Six queries, whatever the size."""
    codes = list(Code.objects.filter(project=project).select_related("category"))
    counts = final_code_counts(project)
    site_ids = {s for _c, s, _h, _n in counts}
    cohort_ids = {h for _c, _s, h, _n in counts if h is not None}
    sites = Site.objects.in_bulk(site_ids) if site_ids else {}
    cohorts = (
        Cohort.objects.select_related("site").in_bulk(cohort_ids) if cohort_ids else {}
    )
    by_site: dict[int, Counter] = defaultdict(Counter)
    by_cohort: dict[int, Counter] = defaultdict(Counter)
    for code_id, site_id, cohort_id, n in counts:
        by_site[code_id][site_id] += n
        by_cohort[code_id][cohort_id] += n
    quotes = defaultdict(list)
    for quote in (
        Quote.objects.filter(code__project=project)
        .select_related("text__site")
        .order_by("code_id", "chosen_at", "pk")
    ):
        quotes[quote.code_id].append(_quote_view(quote))
    themes: dict[int | None, CategoryTheme] = {}
    for code in codes:
        theme = CodeTheme(
            code=code,
            texts=sum(by_site[code.pk].values()),
            by_site=sorted(
                ((sites[s], n) for s, n in by_site[code.pk].items()),
                key=lambda pair: pair[0].code,
            ),
            by_cohort=sorted(
                ((cohorts.get(h), n) for h, n in by_cohort[code.pk].items()),
                key=lambda pair: (pair[0] is None, str(pair[0] or "")),
            ),
            quotes=quotes[code.pk],
        )
        themes.setdefault(
            code.category_id, CategoryTheme(category=code.category, codes=[])
        ).codes.append(theme)
    ordered = sorted(
        themes.values(),
        key=lambda t: (
            t.category is None,
            t.category.position if t.category else 0,
            t.category.pk if t.category else 0,
        ),
    )
    return ThemeSummary(finished=finished_text_count(project), categories=ordered)
