"""Inter-coder agreement (issue 15): per code and overall, with 95 %
intervals, as a table and a chart; passage overlap for one code at a time
(its cost grows with the passages marked); each code one click from its
disagreements."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from analysis.agreement import Estimate, Reason, overall_agreement
from analysis.agreement_data import agreement_data, code_passages
from analysis.agreement_passages import passage_agreement
from analysis.models import Code
from analysis.permissions import get_project_for
from core.charts import interval_chart
from core.params import parse_int

REASONS = {
    Reason.NO_UNITS: gettext_lazy("no text finished yet"),
    Reason.NOTHING_PAIRABLE: gettext_lazy("no text finished by two coders"),
    Reason.NO_VARIATION: gettext_lazy("no variation: always or never applied"),
    Reason.NOT_TWO_CODERS: gettext_lazy("needs exactly two coders"),
    Reason.TOO_FEW_RESAMPLES: gettext_lazy("too few texts for an interval"),
    Reason.NOT_REQUESTED: gettext_lazy("not computed"),
    Reason.NO_PASSAGES: gettext_lazy("no passages marked with this code"),
}


MARKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
NEGATIVE_MARKS = (-1.0, -0.5, 0.0, 0.5, 1.0)


def reason_text(estimate: Estimate | None) -> str:
    if estimate is None or estimate.reason is None:
        return ""
    return str(REASONS.get(estimate.reason, estimate.reason))


@require_GET
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk)
    project = access.project
    codes = list(Code.objects.filter(project=project).select_related("category"))
    data = agreement_data(project, [code.pk for code in codes])
    overall = overall_agreement(data.tables)
    two = len(data.coders) == 2
    rows = [
        {
            "code": code,
            "result": overall.per_code[code.pk],
            "disagreements": data.disagreements[code.pk],
        }
        for code in codes
    ]
    figure = "kappa" if two else "alpha"
    title = _("Cohen's kappa per code") if two else _("Krippendorff's alpha per code")
    points = [
        (
            row["code"].name,
            getattr(row["result"], figure).value,
            getattr(row["result"], figure).low,
            getattr(row["result"], figure).high,
        )
        for row in rows
    ]
    # Coefficients run from -1, but a negative one is rare: the axis starts at
    # 0 unless a value or a bound is below it.
    negative = any(v is not None and v < 0 for _n, *vs in points for v in vs)
    chart = interval_chart(
        title=title,
        rows=points,
        low=-1.0 if negative else 0.0,
        marks=NEGATIVE_MARKS if negative else MARKS,
    )
    passages = None
    chosen = parse_int(request.GET.get("passages"))
    chosen_code = next((c for c in codes if c.pk == chosen), None)
    if chosen_code is not None:
        marked, finished = code_passages(project, chosen_code.pk)
        passages = passage_agreement(marked, finished=finished)
    return render(
        request,
        "analysis/agreement.html",
        {
            "access": access,
            "project": project,
            "data": data,
            "two": two,
            "overall": overall,
            "rows": rows,
            "chart": chart,
            "chart_title": title,
            "passage_code": chosen_code,
            "passages": passages,
            "reasons": {r.value: str(text) for r, text in REASONS.items()},
        },
    )
