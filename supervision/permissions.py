"""Who sees and changes follow-up items: the one home of the rules (issue 14).

The same convention as logs_app.permissions:
- Scope: `followups_visible_to(user)` is every item `user` may read, and what
  every list and page starts from. An item is seen by its owner, by the
  supervisor of the mentor whose log raised it and by the lead of its site.
  Nobody else: not the mentor who filed the log (they see only the item's
  state and resolved date, in the panel on their log, never the follow-up
  note), not research staff, not other mentors or supervisors, not program
  admins who are none of these (an item can hold a safety follow-up note).
- `get_followup_for_user(user, pk)`: fetch and authorise for views; 404 when
  the item is not visible, so ids cannot be probed. Whoever sees an item may
  change it: the three people above share the follow-up.
- `require_followup_user(user)`: 403 on the item list for anyone who could
  never own an item (not a supervisor and not a site's lead).
Denials are audited by audit.middleware.AuditDenialMiddleware, like every
other 403 and 404."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.roles import Role, user_roles
from participants.models import Site
from supervision.models import FollowUpItem


def followup_scope_q(user) -> Q:
    """The items `user` may see, as a filter: owner, the mentor's supervisor,
    or the site's lead. Matches nothing for a user who is not signed in."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    return Q(owner=user) | Q(mentor__supervisor=user) | Q(site__lead=user)


def followups_visible_to(user) -> QuerySet[FollowUpItem]:
    """Every item `user` may see (see the module docstring)."""
    return FollowUpItem.objects.filter(followup_scope_q(user))


def can_see_followup(user, item: FollowUpItem) -> bool:
    """The rule of `followup_scope_q` for one loaded item (its mentor and site
    loaded), for pages that already hold the item."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return (
        item.owner_id == user.pk
        or item.mentor.supervisor_id == user.pk
        or item.site.lead_id == user.pk
    )


def get_followup_for_user(user, pk: int) -> FollowUpItem:
    """The item if `user` may see it (and so change it); 404 otherwise."""
    return get_object_or_404(
        followups_visible_to(user).select_related(
            "log__participant", "mentor__user", "site", "owner", "resolved_by"
        ),
        pk=pk,
    )


def is_site_lead(user) -> bool:
    """Whether `user` leads a site (one query)."""
    return Site.objects.filter(lead=user).exists()


def require_followup_user(user) -> None:
    """403 unless `user` is a supervisor or leads a site: the item list is a
    supervision tool, not a data view."""
    if Role.SUPERVISOR in user_roles(user):
        return
    if user.is_authenticated and is_site_lead(user):
        return
    raise PermissionDenied(_("Follow-up items are for supervisors and site leads."))
