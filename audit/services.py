"""Writing audit rows (AUD-1): the one way an event is recorded, by every app
(accounts, the pages, the admin, the services)."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from audit.context import current_request
from audit.models import AuditEvent
from core.roles import Role, user_roles


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: a proxy's forwarded header is trusted in one place, by
    # configuration (accounts.middleware.ClientIPMiddleware rewrites it).
    return request.META.get("REMOTE_ADDR") or None


def _no_nul(value: Any) -> Any:
    """PostgreSQL text and jsonb cannot hold NUL: audit rows drop it, so that a
    hostile path or username is recorded instead of failing the request."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nul(v) for v in value]
    return value


def _event_scope(obj: Any, user) -> tuple[int | None, int | None]:
    """(site id, mentor id) an event is about: the object's own `audit_scope()`
    (logs, comments, assignments, participants, site grants and mentors define
    it, with at most one small query), else the acting mentor's profile."""
    scope = getattr(obj, "audit_scope", None)
    if scope is not None:
        return scope()
    if user is not None and Role.MENTOR in user_roles(user):
        # The mentor model through our own reference to it: audit sits below
        # mentors and does not import it.
        mentor_model = AuditEvent._meta.get_field("mentor").related_model
        mentor_id = (
            mentor_model.objects.filter(user=user).values_list("pk", flat=True).first()
        )
        return None, mentor_id
    return None, None


def audit_record(
    *,
    request: HttpRequest | None = None,
    action: str,
    outcome: str = "ok",
    obj: Any = None,
    details: dict[str, Any] | None = None,
    actor=None,
) -> AuditEvent:
    """Append one audit event (AUD-1). Details must never contain narrative
    text or participant details. Without `request`, the request being served
    (if any) still gives the address, path and request id."""
    context = request if request is not None else current_request()
    user = actor
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    roles = ",".join(sorted(user_roles(user))) if user is not None else ""
    site_id, mentor_id = _event_scope(obj, user)
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=user,
        roles=roles,
        action=action,
        outcome=_no_nul(outcome)[:20],
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        site_id=site_id,
        mentor_id=mentor_id,
        path=_no_nul(context.path)[:300] if context is not None else "",
        method=context.method[:8] if context is not None else "",
        ip=client_ip(context) if context is not None else None,
        request_id=getattr(context, "request_id", None),
        details=_no_nul(details or {}),
    )
