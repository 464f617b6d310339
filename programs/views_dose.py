"""The dose-delivered report's page and its CSV (issue 17)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit.services import audit_record
from core.charts import PALETTE, stacked_bars
from programs.dose_report import (
    csv_digest,
    dose_report,
    report_csv,
    report_csv_columns,
    require_download_right,
    require_report_sites,
)
from programs.permissions import may_see_program_pages


def _chosen_sites(request: HttpRequest) -> tuple[list, list, int | None]:
    """The sites the user may read, those chosen (narrowed to `?site=` when
    given: 404 for a site they may not read or a malformed id) and its id."""
    sites = require_report_sites(request.user)
    raw = request.GET.get("site", "")
    if not raw:
        return sites, sites, None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise Http404
    chosen = [site for site in sites if site.pk == int(raw)]
    if not chosen:
        raise Http404
    return sites, chosen, chosen[0].pk


# Bluish green, orange and vermillion of the palette (core.svg.PALETTE).
DELIVERY_COLORS = (PALETTE[2], PALETTE[4], PALETTE[1])


def _label(row) -> str:
    return f"{row.site} · {row.cohort}"


@require_GET
def dose_report_page(request: HttpRequest) -> HttpResponse:
    all_sites, sites, chosen = _chosen_sites(request)
    report = dose_report(sites)
    rows = report.cohort_rows
    delivery_chart = stacked_bars(
        title=_("Planned contacts due by today, by site and cohort"),
        categories=[_label(row) for row in rows],
        series=[
            (_("Delivered"), [row.delivered for row in rows]),
            (_("Window still open"), [row.still_open for row in rows]),
            (_("Missed"), [row.missed for row in rows]),
        ],
        colors=DELIVERY_COLORS,
    )
    mix_chart = stacked_bars(
        title=_("What the met contacts were about, by site and cohort"),
        categories=[_label(row) for row in rows],
        series=[
            (f.label, [row.functions.get(f.pk, 0) for row in rows])
            for f in report.functions
        ],
    )
    return render(
        request,
        "programs/dose_report.html",
        {
            "report": report,
            "sites": all_sites,
            "chosen": chosen,
            "delivery_chart": delivery_chart,
            "mix_chart": mix_chart,
            "show_tabs": may_see_program_pages(request.user),
        },
    )


@require_GET
def dose_report_download(request: HttpRequest) -> HttpResponse:
    _all, sites, _chosen = _chosen_sites(request)
    require_download_right(request.user, sites)
    report = dose_report(sites)
    data, rows = report_csv(report)
    digest = csv_digest(data)
    audit_record(
        request=request,
        action="dose.report.exported",
        details={
            "sites": [site.pk for site in sites],
            "rows": rows,
            "participants": report.total.participants,
            "level": "aggregate",
            "columns": report_csv_columns(report),
            "left_out": report.total.left_out,
            "sha256": digest,
        },
    )
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    name = f"peerlog-dose-{report.on.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Export-Rows"] = str(rows)
    response["X-Export-SHA256"] = digest
    return response
