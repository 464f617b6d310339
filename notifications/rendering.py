"""What a row becomes as a mail: its kind's templates, the base context every
mail shares, and the headers. Mail never carries narrative or participant
details (DP-5): figures and links."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.kinds import kind_get
from notifications.models import Notification
from notifications.services import preference_for


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def site_url() -> str:
    return settings.PEERLOG_SITE_URL.rstrip("/")


def unsubscribe_url(user) -> str:
    """The one-click link that turns `user`'s optional mail off."""
    token = preference_for(user).unsubscribe_token
    return site_url() + reverse("unsubscribe", args=[token])


def render(notification: Notification, *, now) -> Rendered:
    """The mail for `notification`: its kind's context over the base context,
    through `emails/<kind>_subject.txt`, `_body.txt` and `_body.html`. Raises
    `NothingToSay` when the kind has nothing to say."""
    kind = kind_get(notification.kind)
    context: dict[str, Any] = {
        "notification": notification,
        "user": notification.recipient,
        "payload": notification.payload,
        "site_url": site_url(),
    }
    if kind.context is not None:
        context.update(kind.context(notification, now))
    name = kind.template_prefix
    return Rendered(
        subject=" ".join(render_to_string(f"{name}_subject.txt", context).split()),
        text=render_to_string(f"{name}_body.txt", context),
        html=render_to_string(f"{name}_body.html", context),
    )


def headers(notification: Notification) -> dict[str, str]:
    """Every mail says it is automatic; optional ones offer one-click
    unsubscribe (RFC 8058)."""
    result = {"Auto-Submitted": "auto-generated"}
    if kind_get(notification.kind).is_optional and notification.recipient_id:
        result["List-Unsubscribe"] = f"<{unsubscribe_url(notification.recipient)}>"
        result["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return result
