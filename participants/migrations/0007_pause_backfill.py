"""Participants already paused (status since 0005) get an open pause from the
day this runs: the protocol's dose skips paused weeks by their Pause rows,
and without one their paused weeks counted as missed. When they were paused
is not known here (the audit trail has it); the weeks before today stay
counted, and the lead can correct a participant by resuming and pausing."""

import datetime as dt

from django.db import migrations


def backfill(apps, schema_editor):
    Participant = apps.get_model("participants", "Participant")
    Pause = apps.get_model("participants", "Pause")
    today = dt.date.today()
    open_already = set(
        Pause.objects.filter(end__isnull=True).values_list("participant_id", flat=True)
    )
    Pause.objects.bulk_create(
        Pause(participant_id=pk, start=today)
        for pk in Participant.objects.filter(status="paused").values_list(
            "pk", flat=True
        )
        if pk not in open_already
    )


class Migration(migrations.Migration):
    dependencies = [("participants", "0006_program_runs")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
