"""Send every supervisor's digest for a week now. Safe to run twice: a digest
already written for that week is not written or sent again."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from core.timeutils import iso_week_label
from logs_app.mail import digests_write_for_week
from logs_app.management.commands._week import week_argument
from notifications.sending import notification_send


class Command(BaseCommand):
    help = "Send the supervisor digests for --week (default: last week)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--week", help="ISO week, e.g. 2026-W47")

    def handle(self, *args, week: str | None, **options) -> None:
        bounds = week_argument(week)
        now = timezone.now()
        counts: dict[str, int] = {}
        for pk in digests_write_for_week(week=bounds, now=now):
            status = notification_send(pk)
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        self.stdout.write(
            f"Digests for {iso_week_label(bounds[0])}: {summary or 'none'}"
        )
