"""The offline app: the service worker, the manifest, the app shell a phone shows
without a signal, and the JSON endpoint the phone's outbox sends its logs to.

The endpoint takes exactly what the log form posts (plus `log`, the id of the
log being edited) and goes through the same form and `log_save` as the form
page, so a log sent from the outbox is validated and filed like any other;
the idempotency key makes a log sent twice file once (REL-3)."""

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from core.params import parse_int
from logs_app.forms import InteractionLogForm
from logs_app.models import InteractionLog
from logs_app.permissions import get_log_for_edit, get_mentor_for_filing
from logs_app.selectors_offline import offline_participant_list
from logs_app.services import LogConflict, log_autosave_filed
from logs_app.views import PRIVATE_FIELDS, bound_log_form, save_log_form

# Fields the outbox sends that are not the form's own.
OUTBOX_ONLY_FIELDS = ("csrfmiddlewaretoken", "action", "log")


@login_not_required  # holds no data; a signed-out phone must still update it
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "logs_app/sw.js",
        {
            "shell_url": reverse("offline_shell"),
            "new_log_url": reverse("log_create"),
            "week_url": reverse("my_week"),
            "sync_url": reverse("log_sync"),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    # Checked on every visit, never kept stale; not `no-store` only because it
    # carries nothing private.
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required  # the browser fetches it without cookies
@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        {
            "name": "Peerlog",
            "short_name": "Peerlog",
            "description": _("Log your meetings as a peer mentor."),
            "start_url": reverse("my_week"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f5f5b",
            "icons": [
                {
                    "src": static("favicon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                    "purpose": "any",
                }
            ],
        },
        content_type="application/manifest+json",
    )
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline_shell(request: HttpRequest) -> HttpResponse:
    """The page the phone shows for My week and any other page it cannot load
    offline: what is waiting to be sent, and a "Log" link per current
    participant. The service worker keeps it; nothing else about the mentor's
    work is in it."""
    mentor = get_mentor_for_filing(request.user)
    participants = offline_participant_list(mentor=mentor)
    return render(
        request, "logs_app/offline_shell.html", {"participants": participants}
    )


@sensitive_post_parameters(*PRIVATE_FIELDS)
@require_http_methods(["GET", "POST"])
def log_sync(request: HttpRequest) -> JsonResponse:
    """GET: the session is alive, and the CSRF token to send with.
    POST: one log from the phone's outbox, saved like the form page saves it.
    200 filed/saved, 400 refused with the field errors, 409 conflict (the
    phone's version is kept aside on the server for the mentor to choose), 404
    for a log that is not the mentor's."""
    mentor = get_mentor_for_filing(request.user)
    if request.method == "GET":
        return JsonResponse({"status": "ready", "csrf": get_token(request)})
    log = None
    log_id = parse_int(request.POST.get("log"))
    if log_id is not None:
        try:
            log = get_log_for_edit(request.user, log_id)
        except PermissionDenied as exc:  # visible, but locked meanwhile
            return _refused({"__all__": [str(exc)]}, status=403)
        mentor = log.mentor
    form = bound_log_form(request, mentor=mentor, log=log)
    if not form.is_valid():
        return _refused({name: list(errors) for name, errors in form.errors.items()})
    try:
        result = save_log_form(request, form, mentor=mentor, log=log)
    except LogConflict as exc:
        return _keep_aside(request, stored=exc.log, form=form)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else None
        return _refused(errors or {"__all__": exc.messages})
    saved = result.log
    if result.replayed:
        status = "replayed"
    elif saved.status == InteractionLog.Status.DRAFT:
        status = "saved"
    else:
        status = "filed"
    url = reverse("log_edit" if status == "saved" else "log_detail", args=[saved.pk])
    return JsonResponse(
        {"status": status, "log": saved.pk, "version": saved.version, "url": url}
    )


def _refused(errors: dict[str, Any], *, status: int = 400) -> JsonResponse:
    return JsonResponse(
        {
            "status": "refused",
            "errors": {
                name: [str(m) for m in messages] for name, messages in errors.items()
            },
            "message": _("Not sent: please check the fields marked."),
        },
        status=status,
    )


def _keep_aside(
    request: HttpRequest, *, stored: InteractionLog, form: InteractionLogForm
) -> JsonResponse:
    """Someone saved the log after the phone's copy was typed (REL-2): keep both.
    The stored log stays as it is; the phone's typing waits beside it like a
    filed log's unsaved edits, so opening the log brings it back with a warning
    to check it first, and nothing is overwritten without the mentor choosing."""
    data = {
        name: request.POST.getlist(name)
        for name in request.POST
        if name not in OUTBOX_ONLY_FIELDS
    }
    base = form.cleaned_data.get("version") or stored.version
    log_autosave_filed(
        actor=request.user,
        log=stored,
        data=data,
        base_version=min(base, stored.version),
    )
    return JsonResponse(
        {
            "status": "conflict",
            "log": stored.pk,
            "version": stored.version,
            "url": reverse("log_edit", args=[stored.pk]),
            "message": _(
                "This log was changed somewhere else after you typed this. Both "
                "versions are kept: open it to choose."
            ),
        },
        status=409,
    )
