"""The follow-up items of a log on its pages (issue 14), registered with
logs_app.hooks from SupervisionConfig.ready():
- the review page ("log_review"): the log's items with state, owner and due
  time, each linked to its page, for those who may see items;
- the log page ("log_detail"): to the mentor who filed it, only each item's
  state and the date it was followed up, never the note; to those who may see
  items, the same list as on the review page; to anyone else, nothing.
One query when the log has items or not."""

from django.http import HttpRequest
from django.template.loader import render_to_string

from logs_app.hooks import panel_register
from logs_app.models import InteractionLog
from supervision.models import FollowUpItem
from supervision.permissions import can_see_followup


def _items(log: InteractionLog) -> list[FollowUpItem]:
    return list(
        FollowUpItem.objects.filter(log=log)
        .select_related("owner", "site", "mentor")
        .order_by("kind", "pk")
    )


def review_panel(request: HttpRequest, log: InteractionLog) -> str:
    items = [item for item in _items(log) if can_see_followup(request.user, item)]
    if not items:
        return ""
    return render_to_string(
        "supervision/_log_panel.html",
        {"items": items, "site_tz": items[0].site.tzinfo},
        request=request,
    )


def detail_panel(request: HttpRequest, log: InteractionLog) -> str:
    if log.mentor.user_id == request.user.pk:
        items = _items(log)
        if not items:
            return ""
        return render_to_string(
            "supervision/_mentor_panel.html",
            {"items": items, "site_tz": items[0].site.tzinfo},
            request=request,
        )
    return review_panel(request, log)


def panels_register() -> None:
    """Called from SupervisionConfig.ready()."""
    panel_register("log_review", review_panel)
    panel_register("log_detail", detail_panel)
