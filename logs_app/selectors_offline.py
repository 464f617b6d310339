"""Reads for the offline app: what a mentor's phone keeps while they are signed in."""

from core.timeutils import local_today
from mentors.models import Assignment, Mentor, mentor_tz
from participants.models import Participant


def offline_participant_list(*, mentor: Mentor) -> list[Participant]:
    """The participants assigned to `mentor` today: the only labels the phone
    keeps (study ID and preferred name, as on the mentor's own form). One query."""
    today = local_today(mentor_tz(mentor))
    return list(
        Participant.objects.filter(
            pk__in=Assignment.objects.filter(mentor=mentor)
            .active_on(today)
            .values("participant")
        ).order_by("study_id")
    )
