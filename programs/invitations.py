"""Invitations (issue 17): a site's lead (or an admin) invites a mentor, a
supervisor or research staff by e-mail, with their role and sites. The mail
goes through the outbox like every other; its link is single-use, lasts 7
days, and dies when the invitation is resent (a new link) or revoked.

The link's secret is an HMAC of the invitation's id, nonce and address (the
way Django's password reset links are made), so neither the database nor
the outbox row holds it. Accepting sets a password, gives the role and the
sites, and signs the person in; a role that needs two-step sign-in (accounts
.policy) can do nothing else until it is set up."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.roles import Role, user_roles
from mentors.models import Mentor
from notifications.kinds import NothingToSay
from notifications.models import Notification
from notifications.services import outbox_row, outbox_write
from participants.models import SiteAccess
from programs.models import Invitation

LIFETIME = dt.timedelta(days=7)
_SALT = "programs.invitation"


class InvitationRefused(ValueError):
    """The link cannot be used; `reason` says why (unknown, used, revoked,
    expired), the message says it to the person."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def invitation_token(invitation: Invitation) -> str:
    value = f"{invitation.pk}:{invitation.nonce}:{invitation.email.lower()}"
    return salted_hmac(_SALT, value, algorithm="sha256").hexdigest()[:40]


def _queue_mail(invitation: Invitation, now) -> None:
    outbox_write(
        [
            outbox_row(
                kind=Notification.Kind.INVITATION,
                user=None,
                email=invitation.email,
                period=f"invitation:{invitation.pk}:{invitation.nonce[:12]}",
                due=now,
                payload={"invitation": invitation.pk, "nonce": invitation.nonce},
            )
        ]
    )


def invitation_create(
    *,
    actor,
    email: str,
    role: str,
    sites,
    first_name="",
    last_name="",
    supervisor=None,
    mentors=(),
):
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            first_name=first_name,
            last_name=last_name,
            invited_by=actor,
            sent_at=now,
            expires_at=now + LIFETIME,
            nonce=secrets.token_hex(16),
            supervisor=supervisor,
        )
        invitation.sites.set(sites)
        invitation.mentors.set(mentors)
        _queue_mail(invitation, now)
        audit_record(
            actor=actor,
            action="invitation.create",
            obj=invitation,
            details={
                "role": role,
                "sites": sorted(site.pk for site in sites),
                "supervisor": supervisor.pk if supervisor else None,
                "mentors": sorted(mentor.pk for mentor in mentors),
            },
        )
    return invitation


def invitation_resend(*, actor, invitation: Invitation) -> None:
    """A new link for 7 more days; the earlier link stops working."""
    now = timezone.now()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at or locked.revoked_at:
            raise InvitationRefused("closed", _("This invitation is closed."))
        locked.nonce = secrets.token_hex(16)
        locked.sent_at = now
        locked.expires_at = now + LIFETIME
        locked.save(update_fields=["nonce", "sent_at", "expires_at"])
        _queue_mail(locked, now)
        audit_record(actor=actor, action="invitation.resend", obj=locked)


def invitation_revoke(*, actor, invitation: Invitation) -> None:
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at or locked.revoked_at:
            raise InvitationRefused("closed", _("This invitation is closed."))
        locked.revoked_at = timezone.now()
        locked.nonce = secrets.token_hex(16)  # every link sent dies
        locked.save(update_fields=["revoked_at", "nonce"])
        audit_record(actor=actor, action="invitation.revoke", obj=locked)


def invitation_check(pk: int, token: str, *, lock: bool = False) -> Invitation:
    """The invitation this link opens, or InvitationRefused (audited by the
    caller) with why not."""
    invitations = Invitation.objects.all()
    if lock:
        invitations = invitations.select_for_update()
    invitation = invitations.filter(pk=pk).first()
    if invitation is None or not constant_time_compare(
        invitation_token(invitation), token
    ):
        raise InvitationRefused(
            "unknown",
            _("This link is not valid: it may have been replaced by a newer one."),
        )
    if invitation.accepted_at:
        raise InvitationRefused("used", _("This invitation was used already: sign in."))
    if invitation.revoked_at:
        raise InvitationRefused("revoked", _("This invitation was withdrawn."))
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused(
            "expired", _("This invitation has expired: ask for a new one.")
        )
    return invitation


def invitation_accept(*, pk: int, token: str, username: str, password: str):
    """Create the account the invitation describes, once: its role, sites
    (and a mentor's profile), the password chosen. The user, signed in by
    the caller."""
    User = get_user_model()
    with transaction.atomic():
        invitation = invitation_check(pk, token, lock=True)
        user = User.objects.create_user(
            username=username,
            email=invitation.email,
            password=password,
            first_name=invitation.first_name,
            last_name=invitation.last_name,
        )
        user.groups.add(Group.objects.get(name=invitation.role))
        sites = list(invitation.sites.all())
        SiteAccess.objects.bulk_create(
            SiteAccess(user=user, site=site) for site in sites
        )
        team = {}
        if invitation.role == Invitation.Role.MENTOR:
            supervisor = invitation.supervisor
            still = supervisor is not None and supervisor.is_active
            if still and Role.SUPERVISOR not in user_roles(supervisor):
                still = False
            if not still:
                supervisor = None  # no longer a supervisor: the lead chooses again
            mentor = Mentor.objects.create(user=user, supervisor=supervisor)
            mentor.sites.set(sites)
            team["supervisor"] = supervisor.pk if supervisor else None
        elif invitation.role == Invitation.Role.SUPERVISOR:
            taken = list(
                Mentor.objects.select_for_update()
                .filter(pk__in=invitation.mentors.values("pk"), is_active=True)
                .order_by("pk")
            )
            team["mentors"] = [
                {"mentor": m.pk, "from_supervisor": m.supervisor_id} for m in taken
            ]
            Mentor.objects.filter(pk__in=[m.pk for m in taken]).update(supervisor=user)
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
        audit_record(
            actor=user,
            action="invitation.accept",
            obj=invitation,
            details={
                "role": invitation.role,
                "sites": [site.pk for site in sites],
                **team,
            },
        )
    return user


# --- the mail (registered with the outbox in ProgramsConfig.ready) ------------------
def _current(notification: Notification) -> Invitation | None:
    invitation = Invitation.objects.filter(
        pk=notification.payload["invitation"]
    ).first()
    if (
        invitation is None
        or invitation.nonce != notification.payload.get("nonce")
        or invitation.state(timezone.now()) != "pending"
    ):
        return None
    return invitation


def mail_context(notification: Notification, now) -> dict:
    invitation = _current(notification)
    if invitation is None:
        raise NothingToSay
    from django.urls import reverse

    from notifications.rendering import site_url

    link = site_url() + reverse(
        "invitation_accept", args=[invitation.pk, invitation_token(invitation)]
    )
    return {
        "invitation": invitation,
        "link": link,
        "sites": [site.name for site in invitation.sites.all()],
        "inviter": invitation.invited_by.get_full_name()
        or invitation.invited_by.get_username(),
    }


def mail_still_wanted(notification: Notification) -> bool:
    return _current(notification) is not None
