"""Participants who completed or withdrew before issue 17 kept their open
assignment: the protocol's dose then planned contacts after they left and
counted them as missed, and their mentor's caseload counted them. Their
assignments not yet ended end on the day this runs (or on their first day,
if later), with that reason, as programs.lifecycle now does when they leave."""

import datetime as dt

from django.db import migrations
from django.db.models import Q

REASONS = {"completed": "completed", "withdrawn": "withdrawn"}


def end_left(apps, schema_editor):
    Assignment = apps.get_model("mentors", "Assignment")
    today = dt.date.today()
    for assignment in Assignment.objects.filter(
        participant__status__in=list(REASONS)
    ).filter(Q(end_date__isnull=True) | Q(end_date__gt=today)):
        last = max(today, assignment.start_date)
        if assignment.end_date is not None and assignment.end_date <= last:
            continue
        assignment.end_date = last
        assignment.end_reason = REASONS[assignment.participant.status]
        assignment.save(update_fields=["end_date", "end_reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("mentors", "0002_program_runs"),
        ("participants", "0007_pause_backfill"),
    ]

    operations = [migrations.RunPython(end_left, migrations.RunPython.noop)]
