"""The v1 endpoints (issue 16). Each reads only what the token reaches: its
sites within its owner's current export sites, at its level."""

from ninja import Schema

from api.audit import api_audit
from api.tokens import token_site_ids
from api.v1 import api
from participants.models import Cohort, Site


class SiteOut(Schema):
    id: int
    code: str
    name: str
    time_zone: str


class CohortOut(Schema):
    id: int
    site_id: int
    name: str
    start_date: str
    end_date: str | None


@api.get("/sites", response=list[SiteOut], tags=["reference"])
def sites(request):
    """The sites this token reaches."""
    rows = list(
        Site.objects.filter(pk__in=token_site_ids(request.auth))
        .order_by("code")
        .values("id", "code", "name", "time_zone")
    )
    api_audit(request, rows=len(rows))
    return rows


@api.get("/cohorts", response=list[CohortOut], tags=["reference"])
def cohorts(request):
    """The cohorts of the sites this token reaches."""
    rows = [
        {
            "id": c.pk,
            "site_id": c.site_id,
            "name": c.name,
            "start_date": c.start_date.isoformat(),
            "end_date": c.end_date.isoformat() if c.end_date else None,
        }
        for c in Cohort.objects.filter(site__in=token_site_ids(request.auth)).order_by(
            "site__code", "start_date"
        )
    ]
    api_audit(request, rows=len(rows))
    return rows
