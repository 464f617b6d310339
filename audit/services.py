"""Writing audit rows (AUD-1): the one way an event is recorded, by every app
(accounts, the pages, the admin, the services)."""

import datetime as dt
from collections.abc import Iterable
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
    user = actor
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    event = _event(
        context=request if request is not None else current_request(),
        actor=user,
        action=action,
        outcome=outcome,
        obj=obj,
        scope=_event_scope(obj, user),
        details=details,
        at=timezone.now(),
    )
    event.save(force_insert=True)
    return event


def audit_record_many(
    *,
    action: str,
    actor,
    at: dt.datetime,
    items: Iterable[tuple[Any, tuple[int | None, int | None], dict[str, Any]]],
) -> list[AuditEvent]:
    """One audit event per object of a bulk action, written in one query: the
    rows `audit_record` writes, from the request being served. `items` gives
    each object with its (site id, mentor id) scope, which the caller reads
    for all objects at once, and its details."""
    context = current_request()
    return AuditEvent.objects.bulk_create(
        _event(
            context=context,
            actor=actor,
            action=action,
            outcome="ok",
            obj=obj,
            scope=scope,
            details=details,
            at=at,
        )
        for obj, scope, details in items
    )


def _event(
    *,
    context: HttpRequest | None,
    actor,
    action: str,
    outcome: str,
    obj: Any,
    scope: tuple[int | None, int | None],
    details: dict[str, Any] | None,
    at: dt.datetime,
) -> AuditEvent:
    """An unsaved audit event."""
    return AuditEvent(
        at=at,
        actor=actor,
        roles=",".join(sorted(user_roles(actor))) if actor is not None else "",
        action=action,
        outcome=_no_nul(outcome)[:20],
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        site_id=scope[0],
        mentor_id=scope[1],
        path=_no_nul(context.path)[:300] if context is not None else "",
        method=context.method[:8] if context is not None else "",
        ip=client_ip(context) if context is not None else None,
        request_id=getattr(context, "request_id", None),
        details=_no_nul(details or {}),
    )
