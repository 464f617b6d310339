"""One pass of the dispatcher: write due reminders and digests, hand due mail
(and export jobs) to the workers. Beat runs the same every PEERLOG_DISPATCH_SECONDS
(15). "written" counts the rows this pass inserted."""

from django.core.management.base import BaseCommand

from notifications.tasks import dispatch_once, dispatch_step_list


class Command(BaseCommand):
    help = "Run one pass of the notification dispatcher."

    def handle(self, *args, **options) -> None:
        result = dispatch_once()
        others = "".join(
            f", {step.label}: {result[step.name]}" for step in dispatch_step_list()
        )
        self.stdout.write(
            f"written: {result['written']}, handed to workers: {result['handed']}"
            + others
        )
