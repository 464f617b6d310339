"""The registries the apps above fill in their AppConfig.ready() (issue 12):
every kind of mail the outbox can hold has someone to say what it says, and
the dispatcher's pass still hands export jobs over."""

import pytest

from notifications.kinds import Kind, kind_get, kind_register
from notifications.models import Notification
from notifications.tasks import dispatch_once


def test_every_kind_of_mail_is_registered():
    for value in Notification.Kind.values:
        assert kind_get(value).name == value


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        kind_register(Kind("newsletter"))
    with pytest.raises(LookupError):
        kind_get("newsletter")


def test_the_dispatcher_pass_hands_export_jobs_over_too(db):
    assert dispatch_once() == {
        "written": 0,
        "handed": 0,
        "exports": 0,
        "followups": 0,  # overdue follow-up items (supervision, issue 14)
    }
