"""Supervisor review and the feedback thread around each log."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import audit_record
from core.params import parse_int
from logs_app import review as review_services
from logs_app import selectors
from logs_app.attention import routine_q
from logs_app.forms import CommentForm, ReviewForm, VoidForm
from logs_app.models import InteractionLog
from logs_app.permissions import (
    get_log_for_review,
    get_log_for_thread,
    get_log_for_void,
    require_supervisor,
)
from logs_app.review import AlreadyReviewed
from logs_app.views import log_page_context


@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    logs = selectors.review_queue_list(user=request.user)
    page = Paginator(logs, 50).get_page(request.GET.get("page"))
    routine = set(
        logs.filter(
            routine_q(), pk__in=[log.pk for log in page.object_list]
        ).values_list("pk", flat=True)
    )
    return render(
        request,
        "logs_app/review_queue.html",
        {
            "page": page,
            "routine": routine,
            "mentors": selectors.review_queue_counts(user=request.user),
        },
    )


@require_POST
def review_bulk(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    versions = {}
    for value in request.POST.getlist("log"):
        pk, version = parse_int(value), parse_int(request.POST.get(f"v{value}"))
        if pk is not None and version is not None:
            versions[pk] = version
    if not versions:
        messages.warning(request, _("Tick the logs you have read first."))
        return redirect("review_queue")
    marked, skipped = review_services.logs_bulk_review(
        actor=request.user, versions=versions
    )
    if marked:
        messages.success(
            request,
            ngettext(
                "%(n)d log marked reviewed.", "%(n)d logs marked reviewed.", len(marked)
            )
            % {"n": len(marked)},
        )
    if skipped:
        messages.warning(
            request,
            ngettext(
                "%(n)d log was left in the queue: it changed, was reviewed by someone "
                "else, or needs a closer look.",
                "%(n)d logs were left in the queue: they changed, were reviewed by "
                "someone else, or need a closer look.",
                len(skipped),
            )
            % {"n": len(skipped)},
        )
    return redirect("review_queue")


@sensitive_post_parameters("comment")
@require_http_methods(["GET", "POST"])
def log_review(request: HttpRequest, pk: int) -> HttpResponse:
    log = get_log_for_review(request.user, pk)
    form = ReviewForm(request.POST or None, initial={"version": log.version})
    if request.method == "GET":
        return _review_page(request, log, form)
    if form.is_valid():
        try:
            return _review_act(request, log, form.cleaned_data)
        except ValidationError as exc:
            _add_review_errors(form, exc)
        except AlreadyReviewed as exc:
            messages.warning(request, _already_message(exc))
            return redirect("log_review", pk=log.pk)
    return _review_page(request, log, form, status=400)


def _review_act(request: HttpRequest, log: InteractionLog, data: dict) -> HttpResponse:
    """Do what the pressed button says with the one box's text, and say exactly
    what happened."""
    comment = data["comment"].strip()
    if data["action"] == ReviewForm.FEEDBACK:
        review_services.log_comment_add(actor=request.user, log=log, body=comment)
        messages.success(request, _("Feedback sent to the mentor."))
        return redirect("log_review", pk=log.pk)
    approve = data["action"] == ReviewForm.REVIEW
    review_services.log_review(
        actor=request.user,
        log=log,
        expected_version=data["version"],
        approve=approve,
        comment=comment,
    )
    if not approve:
        messages.success(request, _("Returned to the mentor with your comment."))
    elif comment:
        messages.success(
            request, _("Marked reviewed. Your feedback is with the mentor.")
        )
    else:
        messages.success(request, _("Marked reviewed."))
    return redirect("review_queue")


def _add_review_errors(form: ReviewForm, exc: ValidationError) -> None:
    """Service errors next to the one box (the thread's service names it
    "body"), anything else above it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        field = "comment" if name in ("body", "comment") else None
        form.add_error(field, errors)


def _review_page(
    request: HttpRequest, log: InteractionLog, form: ReviewForm, status: int = 200
) -> HttpResponse:
    audit_record(request=request, action="log.view", obj=log)
    # While the log waits for review the review panel's box is the only one;
    # afterwards the thread's own box takes further feedback.
    waiting = log.status == InteractionLog.Status.SUBMITTED
    return render(
        request,
        "logs_app/interactionlog_review.html",
        log_page_context(
            request,
            log,
            form=form,
            comment_form=None if waiting else CommentForm(),
            recent=selectors.participant_recent_logs(user=request.user, log=log),
        ),
        status=status,
    )


@sensitive_post_parameters("body")
@require_POST
def log_comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    log = get_log_for_thread(request.user, pk)
    form = CommentForm(request.POST)
    target = (
        "log_review" if log.mentor.supervisor_id == request.user.pk else "log_detail"
    )
    if form.is_valid():
        try:
            review_services.log_comment_add(
                actor=request.user, log=log, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Message added."))
            return redirect(target, pk=log.pk)
    if target == "log_review" and log.status == InteractionLog.Status.SUBMITTED:
        # The review page has one box: the typing and its error go there.
        review = ReviewForm(
            {
                "version": log.version,
                "comment": request.POST.get("body", ""),
                "action": ReviewForm.FEEDBACK,
            }
        )
        review.is_valid()
        for name, errors in form.errors.items():
            field = "comment" if name == "body" else None
            shown = review.errors.get(field or NON_FIELD_ERRORS, [])
            if new := [error for error in errors if error not in shown]:
                review.add_error(field, new)
        return _review_page(request, log, review, status=400)
    context = log_page_context(request, log, comment_form=form)
    if target == "log_review":
        context["form"] = ReviewForm(initial={"version": log.version})
        context["recent"] = selectors.participant_recent_logs(
            user=request.user, log=log
        )
        return render(
            request, "logs_app/interactionlog_review.html", context, status=400
        )
    return render(request, "logs_app/interactionlog_detail.html", context, status=400)


@sensitive_post_parameters("reason")
@require_http_methods(["GET", "POST"])
def log_void(request: HttpRequest, pk: int) -> HttpResponse:
    """A log filed in error: GET asks for the reason, POST voids it."""
    log = get_log_for_void(request.user, pk)
    form = VoidForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                review_services.log_void(
                    actor=request.user, log=log, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)  # a dict of field errors lands on them
            else:
                messages.success(
                    request,
                    _(
                        "Log voided. It keeps its history and is left out of "
                        "counts; exports include it only when asked for voided logs."
                    ),
                )
                return redirect("log_detail", pk=log.pk)
        status = 400
    return render(
        request,
        "logs_app/interactionlog_void.html",
        {"log": log, "form": form},
        status=status,
    )


@require_POST
def feedback_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    log = get_log_for_thread(request.user, pk)
    try:
        review_services.comments_acknowledge(actor=request.user, log=log)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Thanks, marked as read."))
    return redirect("log_detail", pk=log.pk)


def _already_message(exc: AlreadyReviewed) -> str:
    log = exc.log
    if log.status == InteractionLog.Status.REVIEWED and log.reviewed_by is not None:
        message = _("%(who)s already marked this log reviewed at %(time)s.") % {
            "who": log.reviewed_by.get_full_name() or log.reviewed_by.get_username(),
            "time": date_format(timezone.localtime(log.reviewed_at), "DATETIME_FORMAT"),
        }
    elif log.status == InteractionLog.Status.RETURNED:
        message = _("This log was already returned to the mentor.")
    else:
        message = _(
            "The mentor changed this log while you were reading it. Look again."
        )
    if exc.kept_comment is not None:
        message += " " + _("Your comment was kept in the thread below.")
    return message
