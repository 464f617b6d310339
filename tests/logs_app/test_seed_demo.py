from django.contrib.auth.models import User
from django.core.management import call_command

from logs_app.models import InteractionLog, LogRevision
from mentors.models import Mentor
from participants.models import Participant, Site


def counts() -> dict:
    return {
        "sites": Site.objects.count(),
        "mentors": Mentor.objects.count(),
        "participants": Participant.objects.count(),
        "logs": InteractionLog.objects.count(),
        "revisions": LogRevision.objects.count(),
    }


def test_seed_demo_builds_a_realistic_program_once(db, capsys):
    call_command("seed_demo")
    first = counts()
    assert first["sites"] == 3
    assert first["mentors"] == 8
    assert 25 <= first["participants"] <= 35
    assert first["logs"] > 300
    logs = InteractionLog.objects
    assert logs.filter(status="draft").count() == 1
    assert logs.filter(safety_concern=True).count() == 1
    # Older logs are reviewed, the newest wait, and one went back for changes.
    assert logs.filter(status="returned").count() == 1
    assert (
        logs.filter(status="reviewed").count()
        > logs.filter(status="submitted").count()
        > 0
    )
    answered = logs.exclude(reflection_feelings="").count()
    assert 0.3 < answered / first["logs"] < 0.6
    assert {"met", "no_answer"} <= set(logs.values_list("outcome", flat=True))
    assert len(set(Site.objects.values_list("time_zone", flat=True))) == 3
    out = capsys.readouterr().out
    for username in ["maya.mentor", "sam.supervisor", "rita.research", "admin"]:
        assert username in out
        assert User.objects.filter(username=username).exists()

    call_command("seed_demo")  # idempotent
    assert counts() == first

    call_command("seed_demo", "--reset")
    assert counts() == first
