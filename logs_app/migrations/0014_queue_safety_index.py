"""The review queue's per-mentor safety counts (issue 14) read a partial index
of the waiting logs with a safety flag, a handful per mentor, instead of the
heap rows of every waiting log."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("logs_app", "0013_revisions_questions_concern")]

    operations = [
        migrations.AddIndex(
            model_name="interactionlog",
            index=models.Index(
                condition=models.Q(
                    ("is_voided", False),
                    ("status", "submitted"),
                    ("safety_concern", True),
                ),
                fields=["mentor"],
                name="log_awaiting_safety",
            ),
        ),
    ]
