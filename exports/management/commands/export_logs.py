"""Research export from the command line, for scheduled jobs:

    python manage.py export_logs --as USERNAME --level coded --format csv \
        --out FILE [--site CODE ...] [--cohort ID ...] [--mentor ID ...] \
        [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--outcome CODE ...] \
        [--status CODE ...] [--include-voided]

Runs under that user's rights as they are now, exactly like the page (same
scope, same level check, same audit row); the file is written to a temporary
name next to FILE and renamed when complete."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.env import EXPORT_KEY_MIN_LENGTH, secret_problem
from exports.filters import ExportFilters
from exports.models import ExportJob, ExportLevel
from exports.rights import ExportRefused
from exports.services import export_to_path
from participants.models import Site


class Command(BaseCommand):
    help = "Export interaction logs for research under a user's export right."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", required=True)
        parser.add_argument(
            "--level",
            default=ExportLevel.CODED,
            choices=[v for v, _l in ExportLevel.choices if v != ExportLevel.NONE],
        )
        parser.add_argument(
            "--format",
            dest="fmt",
            default=ExportJob.Format.CSV,
            choices=ExportJob.Format.values,
        )
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--site", action="append", default=[], help="site code")
        parser.add_argument("--cohort", action="append", type=int, default=[])
        parser.add_argument("--mentor", action="append", type=int, default=[])
        parser.add_argument("--outcome", action="append", default=[])
        parser.add_argument("--status", action="append", default=[])
        parser.add_argument("--since", type=dt.date.fromisoformat)
        parser.add_argument("--until", type=dt.date.fromisoformat)
        parser.add_argument("--include-voided", action="store_true")

    def handle(self, *args, **options) -> None:
        # Pseudonyms are keyed on PEERLOG_EXPORT_KEY (EXP-4): a file written with
        # the development fallback would carry pseudonyms the web app's files
        # never match, so production refuses like the web app and the worker.
        if not settings.DEBUG and (
            problem := secret_problem(
                settings.PEERLOG_EXPORT_KEY,
                name="PEERLOG_EXPORT_KEY",
                min_length=EXPORT_KEY_MIN_LENGTH,
            )
        ):
            raise CommandError(problem)
        user = (
            get_user_model()
            .objects.filter(username=options["username"], is_active=True)
            .first()
        )
        if user is None:
            raise CommandError(f"No active user {options['username']!r}.")
        codes = sorted(set(options["site"]))
        sites = dict(Site.objects.filter(code__in=codes).values_list("code", "pk"))
        if len(sites) != len(codes):
            raise CommandError(f"Unknown site code(s): {set(codes) - set(sites)}")
        filters = ExportFilters(
            since=options["since"],
            until=options["until"],
            sites=tuple(sorted(sites.values())),
            cohorts=tuple(sorted(set(options["cohort"]))),
            mentors=tuple(sorted(set(options["mentor"]))),
            outcomes=tuple(sorted(set(options["outcome"]))),
            statuses=tuple(sorted(set(options["status"]))),
            include_voided=options["include_voided"],
        )
        try:
            job = export_to_path(
                user=user,
                filters=filters,
                level=options["level"],
                fmt=options["fmt"],
                path=options["out"],
            )
        except ExportRefused as exc:
            raise CommandError(f"Refused: {exc}") from exc
        excluded = ", ".join(f"{k}={v}" for k, v in sorted(job.excluded.items()))
        self.stdout.write(
            f"{job.row_count} rows, {job.file_size} bytes, sha256 {job.sha256} "
            f"→ {options['out']} (left out: {excluded or 'none'})"
        )
