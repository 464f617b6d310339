"""Fixtures shared by the follow-up item tests (issue 14). A module that needs
another kind of item or lead (tests/supervision/test_escalation.py) defines
its own, which takes precedence."""

import pytest

from core.roles import Role
from tests.factories import UserFactory
from tests.supervision.factories import FollowUpItemFactory


@pytest.fixture
def item(log):
    """An open item on the shared `log`, owned by its mentor's supervisor."""
    return FollowUpItemFactory(log=log)


@pytest.fixture
def lead(site):
    """The site's lead, a supervisor there."""
    user = UserFactory(username="lead", roles=[Role.SUPERVISOR], sites=[site])
    site.lead = user
    site.save()
    return user
