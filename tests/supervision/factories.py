"""Follow-up items for tests, written directly (the "items" part creates them
when a log is filed; these tests are about what happens afterwards)."""

import datetime as dt

import factory

from supervision.models import FollowUpItem
from tests.factories import InteractionLogFactory


class FollowUpItemFactory(factory.django.DjangoModelFactory):
    """An open safety item on a log, owned by the mentor's supervisor, due
    that evening in New York."""

    class Meta:
        model = FollowUpItem

    log = factory.SubFactory(InteractionLogFactory, safety_concern=True)
    kind = FollowUpItem.Kind.SAFETY
    mentor = factory.LazyAttribute(lambda o: o.log.mentor)
    site = factory.LazyAttribute(lambda o: o.log.participant.site)
    owner = factory.LazyAttribute(lambda o: o.log.mentor.supervisor)
    opened_at = factory.LazyFunction(
        lambda: dt.datetime(2026, 11, 16, 20, 0, tzinfo=dt.UTC)
    )
    due_at = factory.LazyFunction(
        lambda: dt.datetime(2026, 11, 17, 4, 59, tzinfo=dt.UTC)
    )
