"""Print a user's digest for a week without sending it."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.timeutils import iso_week_label
from logs_app.management.commands._week import week_argument
from notifications.kinds import NothingToSay
from notifications.models import Notification
from notifications.rendering import render


class Command(BaseCommand):
    help = "Print the digest text USERNAME would get for --week (default: last week)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--week", help="ISO week, e.g. 2026-W47")

    def handle(self, *args, username: str, week: str | None, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        start, end = week_argument(week)
        notification = Notification(  # never saved
            kind=Notification.Kind.DIGEST,
            recipient=user,
            email=user.email,
            period=iso_week_label(start),
            payload={"start": start.isoformat(), "end": end.isoformat()},
        )
        try:
            rendered = render(notification, now=timezone.now())
        except NothingToSay:
            self.stdout.write(
                f"{username} has nothing to report for {iso_week_label(start)}."
            )
            return
        self.stdout.write(f"Subject: {rendered.subject}\nTo: {user.email}\n")
        self.stdout.write(rendered.text)
