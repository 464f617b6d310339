"""The dose-delivered report (issue 17): how much of the protocol each site
and cohort delivered, in a form a trial report can use.

Per site and cohort, and totalled per site and overall: participants, the
planned contacts due by today, those delivered and their share, the
participants who got at least 80 % of theirs, met contacts (in a window or
not) per participant, minutes against planned minutes, and the role-function
mix of the met contacts. The figures come from logs_app.dose, the same
computation as My week's flags.

Like every research output, only participants whose consent covers research
use are counted (AZ-14); the report says how many others were left out. Who
may read it: admins (every site), a site's lead (the sites they lead) and
research staff (their granted sites). A fixed number of queries whatever the
number of participants or logs."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from core.formulas import neutralise
from core.roles import Role, user_roles
from core.timeutils import local_today
from exports.models import ExportLevel
from exports.rights import export_level_for
from logs_app.dose import Dose, doses_for, met_contacts
from logs_app.models import InteractionLog, RoleFunction
from participants.models import Participant, Site
from programs.permissions import lead_sites

ADEQUATE_SHARE = 0.8  # a participant "got the dose" at 80 % of planned to date


def report_sites(user) -> QuerySet[Site]:
    """The sites whose dose `user` may read."""
    roles = user_roles(user)
    if Role.ADMIN in roles:
        return Site.objects.all()
    sites = Site.objects.filter(pk__in=lead_sites(user).values("pk"))
    if Role.RESEARCH in roles:
        sites = sites | Site.objects.filter(access_grants__user=user)
    return sites.distinct()


def require_download_right(user, sites: list[Site]) -> None:
    """The CSV leaves Peerlog, so it follows the export right (EXP-1): admins;
    research staff with an export right, for their granted sites; and a
    site's lead, for the program they run. 403 otherwise (audited)."""
    roles = user_roles(user)
    if Role.ADMIN in roles:
        return
    allowed = set(lead_sites(user).values_list("pk", flat=True))
    if Role.RESEARCH in roles and export_level_for(user) != ExportLevel.NONE:
        allowed |= set(
            Site.objects.filter(access_grants__user=user).values_list("pk", flat=True)
        )
    if not {site.pk for site in sites} <= allowed:
        raise PermissionDenied(
            _(
                "Downloading the dose report needs an export right (an admin "
                "grants it) or leading the site."
            )
        )


def require_report_sites(user) -> list[Site]:
    sites = list(report_sites(user).order_by("name"))
    if not sites:
        raise PermissionDenied(
            _("The dose report is for research staff, site leads and admins.")
        )
    return sites


@dataclass
class Row:
    """The figures of one group: a cohort, a site's total, or everything."""

    site: str
    cohort: str
    level: str  # "cohort", "site" or "all"
    doses: list[Dose] = field(default_factory=list)
    functions: dict[int, int] = field(default_factory=dict)  # role function → contacts
    left_out: int = 0  # participants without research consent

    @property
    def participants(self) -> int:
        return len(self.doses)

    @property
    def planned_to_date(self) -> int:
        return sum(d.planned_to_date for d in self.doses)

    @property
    def delivered(self) -> int:
        return sum(d.delivered for d in self.doses)

    @property
    def missed(self) -> int:
        return sum(d.missed for d in self.doses)

    @property
    def still_open(self) -> int:
        """Due by today, not delivered, window still open."""
        return self.planned_to_date - self.delivered - self.missed

    @property
    def share(self) -> float | None:
        planned = self.planned_to_date
        return self.delivered / planned if planned else None

    @property
    def with_due(self) -> int:
        """Participants with a planned contact due by today: those `adequate`
        is counted among (no cohort, no protocol or enrolled later: none)."""
        return sum(1 for d in self.doses if d.has_due)

    @property
    def adequate(self) -> int:
        return sum(
            1
            for d in self.doses
            if d.planned_to_date and d.delivered / d.planned_to_date >= ADEQUATE_SHARE
        )

    @property
    def contacts(self) -> int:
        return sum(d.contacts for d in self.doses)

    @property
    def contacts_mean(self) -> float | None:
        return self.contacts / self.participants if self.participants else None

    @property
    def contacts_median(self) -> float | None:
        if not self.doses:
            return None
        return statistics.median(d.contacts for d in self.doses)

    @property
    def minutes(self) -> int:
        return sum(d.minutes for d in self.doses)

    @property
    def planned_minutes(self) -> int | None:
        planned = [d.planned_minutes_to_date for d in self.doses]
        if not planned or any(p is None for p in planned):
            return None
        return sum(planned)


@dataclass
class Report:
    rows: list[Row]
    functions: list[RoleFunction]
    on: dt.date  # the first site's today (each participant's is their site's)

    @property
    def total(self) -> Row:
        return self.rows[-1]

    @property
    def cohort_rows(self) -> list[Row]:
        return [row for row in self.rows if row.level == "cohort"]


def dose_report(sites: list[Site], *, now: dt.datetime | None = None) -> Report:
    """The report over `sites`: one row per cohort with a protocol (and a row
    "no cohort" when some participants have none), each site's total after
    its cohorts, and the overall total last."""
    people = list(
        Participant.objects.filter(site__in=sites)
        .select_related("site", "cohort")
        .order_by("site__name", "cohort__start_date", "cohort__name", "study_id")
    )
    consented = [p for p in people if p.has_research_consent]
    doses = doses_for(consented, now=now)
    functions = list(RoleFunction.objects.order_by("position", "pk"))
    # Met contacts per role function, per participant: one query.
    through = InteractionLog.role_functions.through
    per_participant: dict[int, dict[int, int]] = defaultdict(dict)
    for pid, function, count in (
        through.objects.filter(
            interactionlog__in=InteractionLog.objects.filter(
                met_contacts(), participant__in=[p.pk for p in consented]
            )
        )
        .values("interactionlog__participant_id", "rolefunction_id")
        .annotate(n=Count("pk"))
        .values_list("interactionlog__participant_id", "rolefunction_id", "n")
    ):
        per_participant[pid][function] = count

    groups: dict[tuple, Row] = {}
    site_rows: dict[int, Row] = {}
    total = Row(site=_("All sites"), cohort="", level="all")
    for person in people:
        cohort_name = person.cohort.name if person.cohort else _("No cohort")
        key = (person.site_id, person.cohort_id)
        if key not in groups:
            groups[key] = Row(site=person.site.name, cohort=cohort_name, level="cohort")
        if person.site_id not in site_rows:
            site_rows[person.site_id] = Row(
                site=person.site.name, cohort=_("All cohorts"), level="site"
            )
        targets = (groups[key], site_rows[person.site_id], total)
        if not person.has_research_consent:
            for row in targets:
                row.left_out += 1
            continue
        for row in targets:
            row.doses.append(doses[person.pk])
            for function, count in per_participant.get(person.pk, {}).items():
                row.functions[function] = row.functions.get(function, 0) + count
    rows: list[Row] = []
    for site in sorted(site_rows, key=lambda pk: site_rows[pk].site):
        rows.extend(row for (s, _c), row in groups.items() if s == site)
        rows.append(site_rows[site])
    rows.append(total)
    on = doses[consented[0].pk].today if consented else local_today(dt.UTC, now)
    return Report(rows=rows, functions=functions, on=on)


CSV_COLUMNS = (
    "site",
    "cohort",
    "level",
    "participants",
    "left_out_no_research_consent",
    "planned_contacts_to_date",
    "delivered",
    "delivered_share",
    "missed",
    "window_still_open",
    "participants_with_contacts_due",
    "participants_at_least_80_percent",
    "met_contacts",
    "met_contacts_per_participant_mean",
    "met_contacts_per_participant_median",
    "minutes",
    "planned_minutes_to_date",
)


def _number(value: float | None, places: int = 3) -> str:
    return "" if value is None else f"{value:.{places}f}"


def report_csv_columns(report: Report) -> list[str]:
    return [*CSV_COLUMNS, *(f"role_{f.code}_contacts" for f in report.functions)]


def report_csv(report: Report) -> tuple[bytes, int]:
    """The report as CSV (UTF-8 with a BOM, so Excel reads it), one row per
    report row, one column per role function ("role_" + its code); and the
    number of rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(report_csv_columns(report))
    for row in report.rows:
        writer.writerow(
            [
                neutralise(row.site),
                neutralise(row.cohort),
                row.level,
                row.participants,
                row.left_out,
                row.planned_to_date,
                row.delivered,
                _number(row.share),
                row.missed,
                row.still_open,
                row.with_due,
                row.adequate,
                row.contacts,
                _number(row.contacts_mean, 2),
                _number(row.contacts_median, 1),
                row.minutes,
                "" if row.planned_minutes is None else row.planned_minutes,
                *(row.functions.get(f.pk, 0) for f in report.functions),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode(), len(report.rows)


def csv_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
