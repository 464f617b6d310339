"""Supervisor review and the feedback thread around each log."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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
    filters = selectors.QueueFilter.from_query(request.GET)
    mentors = selectors.review_queue_counts(user=request.user)
    participants = list(selectors.review_queue_participants(user=request.user))
    page = selectors.review_queue_page(
        user=request.user,
        filters=filters,
        number=request.GET.get("page"),
        mentors=mentors,
        participants=participants,
    )
    return render(
        request,
        "logs_app/review_queue.html",
        {
            "page": page,
            "routine": {log.pk for log in page.object_list if log.is_routine},
            "mentors": mentors,
            "participants": participants,
            "filters": filters,
            "queue_query": filters.querystring(),
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
    """The review page. The queue's filters ride along in the URL (the form
    posts back to it), so "Next" walks the same filtered queue."""
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
            return _review_conflict(request, exc.log, form.cleaned_data["comment"])
    return _review_page(request, log, form, status=400)


def _review_act(request: HttpRequest, log: InteractionLog, data: dict) -> HttpResponse:
    """Do what the pressed button says with the one box's text, and say exactly
    what happened: the mentor is said to see feedback only when a comment was
    saved. Back to the same page, where "Next" is waiting."""
    comment = data["comment"].strip()
    back = reverse("log_review", args=[log.pk]) + _queue_query(request)
    if data["action"] == ReviewForm.FEEDBACK:
        review_services.log_comment_add(actor=request.user, log=log, body=comment)
        messages.success(request, _("Feedback sent to the mentor."))
        return redirect(back)
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
    return redirect(back)


def _review_conflict(
    request: HttpRequest, log: InteractionLog, comment: str
) -> HttpResponse:
    """Someone else acted first, or the mentor changed the log: nothing was
    saved, and what was typed comes back in the box on the fresh page (the
    review box while the log still waits, else the thread's box)."""
    messages.warning(request, _already_message(log))
    if log.status == InteractionLog.Status.SUBMITTED:
        form = ReviewForm(initial={"version": log.version, "comment": comment})
        return _review_page(request, log, form, status=409)
    return _review_page(
        request,
        log,
        ReviewForm(initial={"version": log.version}),
        status=409,
        comment_form=CommentForm(initial={"body": comment}),
    )


def _queue_query(request: HttpRequest) -> str:
    return selectors.QueueFilter.from_query(request.GET).querystring()


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
    request: HttpRequest,
    log: InteractionLog,
    form: ReviewForm,
    status: int = 200,
    comment_form: CommentForm | None = None,
) -> HttpResponse:
    audit_record(request=request, action="log.view", obj=log)
    # While the log waits for review the review panel's box is the only one;
    # afterwards the thread's own box takes further feedback.
    waiting = log.status == InteractionLog.Status.SUBMITTED
    filters = selectors.QueueFilter.from_query(request.GET)
    return render(
        request,
        "logs_app/interactionlog_review.html",
        log_page_context(
            request,
            log,
            form=form,
            comment_form=None if waiting else comment_form or CommentForm(),
            recent=selectors.participant_recent_logs(user=request.user, log=log),
            next_log=selectors.review_queue_next(
                user=request.user, log=log, filters=filters
            ),
            queue_query=filters.querystring(),
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
    if target == "log_review":
        return _review_page(
            request,
            log,
            ReviewForm(initial={"version": log.version}),
            status=400,
            comment_form=form,
        )
    context = log_page_context(request, log, comment_form=form)
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


def _already_message(log: InteractionLog) -> str:
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
    return message + " " + _("Nothing was saved; what you typed is still in the box.")
