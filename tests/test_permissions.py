"""The URL × role matrix (SECURITY AZ-1, AZ-2, AZ-6), in the pretix style: one
table of expected answers, one parametrised test that walks it, and a check that
every URL the project routes has a row. Then the rules the table cannot show:
denials change nothing and are audited (AZ-2), forged form fields (AZ-5), scoped
lists over two sites of data (AZ-3, AZ-4).

The cast comes from tests/conftest.py; `log` is `mentor`'s submitted log at
`site`, `other_log` is `other_mentor`'s at `other_site`. Two roles are added
here: `peer_mentor` (same site and same supervisor as `mentor`) and
`other_staff` (research staff granted `other_site` only)."""

import re
import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audit.models import AuditEvent
from core.roles import Role
from logs_app.models import InteractionLog, LogAutosave, LogRevision
from supervision.models import FollowUpItem
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
    UserFactory,
    log_form,
)
from tests.supervision.factories import FollowUpItemFactory

pytestmark = pytest.mark.usefixtures("frozen_now")


# --- the expected table ------------------------------------------------------------
@dataclass(frozen=True)
class Redirect:
    """A 302 whose Location matches `pattern` in full."""

    pattern: str

    def __repr__(self) -> str:
        return f"302→{self.pattern}"


class _Login:
    """A 302 to the login page, coming back to the requested path."""

    def __repr__(self) -> str:
        return "302→login"


L = _Login()  # → /accounts/login/?next=<path>
AL = Redirect(r"/admin/login/\?next=/admin/")  # the admin site's own login
WEEK = Redirect(r"/week/")
LIST = Redirect(r"/logs/")
NEW = Redirect(r"/logs/\d+/edit/")  # the new draft, open for editing
SAVED = Redirect(r"/logs/\d+/")  # the saved log's detail page
OUT = Redirect(r"/accounts/login/")  # signed out
TEAM = Redirect(r"/team/")  # the supervisor's home
QUEUE = Redirect(r"/review/")  # back to the review queue after acting
REVIEWED = Redirect(r"/logs/\d+/review/")  # back to the review page
ENROL = Redirect(r"/accounts/two-factor/setup/")  # set up two-step sign-in
MEETING = Redirect(r"/supervision/meetings/\d+/")  # the supervision meeting's page
ITEM = Redirect(r"/followups/\d+/")  # back to the follow-up item's page
IMPORT = Redirect(r"/program/imports/\d+/")  # back to the import's preview
INVITES = Redirect(r"/program/invitations/")  # back to the invitations
CASELOADS = Redirect(r"/program/caseloads/")  # back to the caseloads
TOKEN_ENROL = Redirect(
    r"/accounts/two-factor/setup/\?next=%2Faccounts%2Ftokens%2Fnew%2F"
)

ROLES = (
    "anonymous",
    "mentor",  # author of `log`
    "peer_mentor",  # another mentor at the same site, same supervisor
    "other_mentor",  # a mentor at the other site
    "supervisor",  # supervises `mentor`
    "other_supervisor",  # supervises `other_mentor`
    "staff",  # research staff granted `site`
    "other_staff",  # research staff granted `other_site` only
    "admin",
    "nobody",  # signed in, no role
)


def _every(value) -> tuple:
    return (value,) * len(ROLES)


def _signed_in(value) -> tuple:
    return (L,) + (value,) * (len(ROLES) - 1)


# Columns follow ROLES.
# fmt: off
EXPECTED: dict[str, dict[str, tuple]] = {
    #                anon  mentor peer other sup   osup  staff ostaff admin nobody
    "home": {
        "GET":      (L,    WEEK,  WEEK, WEEK, TEAM, TEAM, LIST, LIST, LIST, LIST),
    },
    "my_week": {
        "GET":      (L,    200,   200,  200,  403,  403,  403,  403,  403,  403),
    },
    "log_list": {
        "GET":      _signed_in(200),
    },
    "log_create": {
        "GET":      (L,    200,   200,  200,  403,  403,  403,  403,  403,  403),
        "POST":     (L,    NEW,   NEW,  NEW,  403,  403,  403,  403,  403,  403),
    },
    "log_autosave_new": {
        "GET":      _signed_in(405),
        "POST":     (L,    200,   200,  200,  403,  403,  403,  403,  403,  403),
    },
    "log_sync": {
        "GET":      (L,    200,   200,  200,  403,  403,  403,  403,  403,  403),
        "POST":     (L,    200,   404,  404,  403,  403,  403,  403,  403,  403),
    },
    "offline_shell": {
        "GET":      (L,    200,   200,  200,  403,  403,  403,  403,  403,  403),
    },
    "service_worker": {
        "GET":      _every(200),
    },
    "manifest": {
        "GET":      _every(200),
    },
    "log_detail": {
        "GET":      (L,    200,   404,  404,  200,  404,  200,  404,  200,  404),
    },
    "log_edit": {
        "GET":      (L,    200,   404,  404,  403,  404,  403,  404,  403,  404),
        "POST":     (L,    SAVED, 404,  404,  403,  404,  403,  404,  403,  404),
    },
    "log_autosave": {
        "GET":      _signed_in(405),
        "POST":     (L,    200,   404,  404,  403,  404,  403,  404,  403,  404),
    },
    "review_queue": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  403,  403),
    },
    "review_bulk": {
        "GET":      _signed_in(405),
        "POST":     (L,    403,   403,  403,  QUEUE, QUEUE, 403, 403,  403,  403),
    },
    "supervision_agenda": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  403,  403),
    },
    # Follow-up items (issue 14): the item's owner, the mentor's supervisor and
    # the site's lead (no lead in this cast); 404 for everyone else, admins too.
    "followup_list": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  403,  403),
        "POST":     _signed_in(405),
    },
    "followup_detail": {
        "GET":      (L,    404,   404,  404,  200,  404,  404,  404,  404,  404),
        "POST":     _signed_in(405),
    },
    "followup_start": {
        "GET":      _signed_in(405),
        "POST":     (L,    404,   404,  404,  ITEM, 404,  404,  404,  404,  404),
    },
    "followup_resolve": {
        "GET":      _signed_in(405),
        "POST":     (L,    404,   404,  404,  ITEM, 404,  404,  404,  404,  404),
    },
    # An open item: reopening it is refused with a message on the item page.
    "followup_reopen": {
        "GET":      _signed_in(405),
        "POST":     (L,    404,   404,  404,  ITEM, 404,  404,  404,  404,  404),
    },
    # Handing to the site lead of a site without one: the form says so.
    "followup_reassign": {
        "GET":      _signed_in(405),
        "POST":     (L,    404,   404,  404,  400,  404,  404,  404,  404,  404),
    },
    "log_review": {
        "GET":      (L,    403,   404,  404,  200,  404,  403,  404,  403,  404),
        "POST":     (L,    403,   404,  404,  REVIEWED, 404, 403,  404,  403,  404),
    },
    "log_comment_add": {
        "GET":      _signed_in(405),
        "POST":     (L,    SAVED, 404,  404,  REVIEWED, 404, 403, 404, 403,  404),
    },
    "feedback_acknowledge": {
        "GET":      _signed_in(405),
        "POST":     (L,    SAVED, 404,  404,  SAVED, 404, 403,  404,  403,  404),
    },
    # Voiding a log filed in error (issue 11): its mentor's supervisor and admins.
    "log_void": {
        "GET":      (L,    403,   404,  404,  200,  404,  403,  404,  200,  404),
        "POST":     (L,    403,   404,  404,  SAVED, 404, 403,  404,  SAVED, 404),
    },
    "team_week": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    "role_mix": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    "engagement_gaps": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    "team_reflections": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    "participant_detail": {
        "GET":      (L,    200,   404,  404,  200,  404,  404,  404,  200,  404),
        "POST":     _signed_in(405),
    },
    # Supervision meetings (issue 14): the mentor's supervisor manages them; the
    # mentor reads their own (no notes); everyone else 404. Site leads: in
    # tests/supervision/test_meetings.py.
    "meeting_list": {
        "GET":      (L,    200,   404,  404,  200,  404,  404,  404,  404,  404),
    },
    "meeting_plan": {
        "GET":      (L,    403,   404,  404,  200,  404,  404,  404,  404,  404),
        "POST":     (L,    403,   404,  404,  MEETING, 404, 404, 404,  404,  404),
    },
    "meeting_detail": {
        "GET":      (L,    200,   404,  404,  200,  404,  404,  404,  404,  404),
    },
    "meeting_record": {
        "GET":      (L,    403,   404,  404,  200,  404,  404,  404,  404,  404),
        "POST":     (L,    403,   404,  404,  MEETING, 404, 404, 404,  404,  404),
    },
    "meeting_action_add": {
        "GET":      _signed_in(405),
        "POST":     (L,    403,   404,  404,  MEETING, 404, 404, 404,  404,  404),
    },
    "meeting_action_done": {
        "GET":      _signed_in(405),
        "POST":     (L,    403,   404,  404,  MEETING, 404, 404, 404,  404,  404),
    },
    "mail_preferences": {
        "GET":      _signed_in(200),
        "POST":     _signed_in(Redirect(r"/account/mail/")),
    },
    # The token is the secret; an unknown token is a 404 for everyone.
    "unsubscribe": {
        "GET":      _every(404),
        "POST":     _every(404),
    },
    # Research export: research staff and admins; a job is its requester's only.
    "export_page": {
        "GET":      (L,    403,   403,  403,  403,  403,  200,  200,  200,  403),
        # `staff` holds no export right (EXP-1: none by default); admins export.
        "POST":     (L,    403,   403,  403,  403,  403,  403,  403,  200,  403),
    },
    "export_history": {
        "GET":      (L,    403,   403,  403,  403,  403,  200,  200,  200,  403),
        "POST":     _signed_in(405),
    },
    # `staff`'s finished export (see _export_job).
    "export_detail": {
        "GET":      (L,    403,   403,  403,  403,  403,  200,  404,  404,  403),
    },
    "export_status": {
        "GET":      (L,    403,   403,  403,  403,  403,  200,  404,  404,  403),
    },
    "export_download": {
        "GET":      (L,    403,   403,  403,  403,  403,  200,  404,  404,  403),
    },
    # Audit (AUD-4): admins see everything, supervisors their mentors' events.
    "audit_list": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    "audit_export": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    "healthz": {
        "GET":      _every(200),
    },
    "login": {
        "GET":      _every(200),
    },
    # Sign-in security (accounts/). The matrix runs with two-step sign-in off
    # (test settings), so no one is verified: the code page sends everyone to
    # set up an authenticator, which anyone signed in may do (AUTH-4).
    "two_factor_verify": {
        "GET":      _signed_in(ENROL),
        "POST":     _signed_in(ENROL),
    },
    "two_factor_enrol": {
        "GET":      _signed_in(200),
        "POST":     _signed_in(400),  # no code typed
    },
    "account_security": {
        "GET":      _signed_in(200),
        "POST":     _signed_in(405),
    },
    "backup_codes_regenerate": {
        "GET":      _signed_in(405),
        "POST":     _signed_in(ENROL),  # no authenticator yet
    },
    "session_keepalive": {
        "GET":      _signed_in(200),
        "POST":     _signed_in(200),
    },
    "logout": {
        "GET":      _signed_in(405),
        "POST":     _signed_in(OUT),
    },
    "password_change": {
        "GET":      _signed_in(200),
    },
    "password_change_done": {
        "GET":      _signed_in(200),
    },
    "password_reset": {
        "GET":      _every(200),
    },
    "password_reset_done": {
        "GET":      _every(200),
    },
    "password_reset_confirm": {
        "GET":      _every(200),
    },
    "password_reset_complete": {
        "GET":      _every(200),
    },
    # The whole admin site is one entry. Its own login page is anonymous, so its
    # views send strangers there, not to /accounts/login/ (AZ-12: admins only).
    "admin:index": {
        "GET":      (AL,   AL,    AL,   AL,   AL,   AL,   AL,   AL,   200,  AL),
    },
    # Issue 16: the read API takes a token, never a session: every role's
    # signed-in browser gets a 401 (tests/api has the token matrix). Its
    # schema and documentation page hold no data.
    "api-v1:sites": {
        "GET":      _every(401),
    },
    "api-v1:cohorts": {
        "GET":      _every(401),
    },
    "api-v1:logs": {
        "GET":      _every(401),
    },
    "api-v1:logs_csv": {
        "GET":      _every(401),
    },
    "api-v1:logs_ndjson": {
        "GET":      _every(401),
    },
    "api-v1:openapi-json": {
        "GET":      _every(200),
    },
    "api-v1:openapi-view": {
        "GET":      _every(200),
    },
    "api-v1:api-root": {
        "GET":      _every(200),
    },
    "api-v1:options": {
        "GET":      _every(401),
    },
    "api-v1:codebook": {
        "GET":      _every(401),
    },
    "api-v1:participant_measures": {
        "GET":      _every(401),
    },
    "api-v1:analysis_final_codes": {
        "GET":      _every(401),
    },
    # Issue 16, the token pages: for an export right (admins hold one by role;
    # `staff` holds none). Making one needs an authenticator first; the token
    # to revoke is another research user's (see _api_token): 404.
    # Issue 17: program pages for site leads and admins. Nobody in the cast
    # leads a site: supervisors see why (200) and cannot upload (403); the
    # admin's upload without a file is a 400 next to the field.
    "import_page": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     (L,    403,   403,  403,  403,  403,  403,  403,  400,  403),
    },
    "import_template": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    # Another lead's import: not found for supervisors, open to the admin.
    "import_detail": {
        "GET":      (L,    403,   403,  403,  404,  404,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    "import_apply": {
        "GET":      _signed_in(405),
        "POST":     (L,    403,   403,  403,  404,  404,  403,  403,  IMPORT, 403),
    },
    # An invitation to `site` from a lead outside the cast.
    "invitation_list": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     (L,    403,   403,  403,  403,  403,  403,  403,  400,  403),
    },
    "invitation_act": {
        "GET":      _signed_in(405),
        "POST":     (L,    403,   403,  403,  404,  404,  403,  403,  INVITES, 403),
    },
    # The link in the mail: its token is the secret; anyone holding it may
    # choose a password (an empty form is a 400).
    "invitation_accept": {
        "GET":      _every(200),
        "POST":     _every(400),
    },
    "program_participants": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    # Issue 17: assignments. `log`'s participant and its assignment, at a site
    # nobody in the cast leads (an empty form is the admin's 400).
    "participant_assign": {
        "GET":      _signed_in(405),
        "POST":     (L,    403,   403,  403,  404,  404,  403,  403,  400,  403),
    },
    "assignment_end": {
        "GET":      _signed_in(405),
        "POST":     (L,    403,   403,  403,  404,  404,  403,  403,  400,  403),
    },
    # Cohorts at the sites one runs (none for the cast's supervisors: an
    # empty form is a 400, `site`'s cohort a 404); the admin runs every site.
    "cohort_list": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     (L,    403,   403,  403,  400,  400,  403,  403,  400,  403),
    },
    "cohort_edit": {
        "GET":      (L,    403,   403,  403,  404,  404,  403,  403,  200,  403),
        "POST":     (L,    403,   403,  403,  404,  404,  403,  403,  400,  403),
    },
    # An empty value is a message on the caseload page.
    "caseload_limit": {
        "GET":      _signed_in(405),
        "POST":     (L,    403,   403,  403,  404,  404,  403,  403,  CASELOADS, 403),
    },
    # The dose report: research staff of their sites, leads, admins.
    "dose_report": {
        "GET":      (L,    403,   403,  403,  403,  403,  200,  200,  200,  403),
        "POST":     _signed_in(405),
    },
    # The CSV leaves Peerlog: an export right (the cast's staff hold none).
    "dose_report_csv": {
        "GET":      (L,    403,   403,  403,  403,  403,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    "caseload_list": {
        "GET":      (L,    403,   403,  403,  200,  200,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    # `log`'s participant, at a site nobody in the cast leads.
    "participant_lifecycle": {
        "GET":      (L,    403,   403,  403,  404,  404,  403,  403,  200,  403),
        "POST":     (L,    403,   403,  403,  404,  404,  403,  403,  400,  403),
    },
    # The same participant; an empty POST is refused with the form (400).
    "participant_erase": {
        "GET":      (L,    403,   403,  403,  404,  404,  403,  403,  200,  403),
        "POST":     (L,    403,   403,  403,  404,  404,  403,  403,  400,  403),
    },
    "api_token_list": {
        "GET":      (L,    403,   403,  403,  403,  403,  403,  403,  200,  403),
        "POST":     _signed_in(405),
    },
    "api_token_create": {
        "GET":      (L,    403,   403,  403,  403,  403,  403,  403,  TOKEN_ENROL, 403),
        "POST":     (L,    403,   403,  403,  403,  403,  403,  403,  TOKEN_ENROL, 403),
    },
    "api_token_revoke": {
        "GET":      (L,    403,   403,  403,  403,  403,  403,  403,  404,  403),
        "POST":     (L,    403,   403,  403,  403,  403,  403,  403,  404,  403),
    },
    # Issue 15: reflection analysis needs its own right, which nobody in this
    # cast holds (tests/analysis/test_permissions.py has a cast that does).
    "analysis_projects": {
        "GET":      _signed_in(403),
    },
    "analysis_project_create": {
        "GET":      _signed_in(403),
        "POST":     _signed_in(403),
    },
    "analysis_project": {
        "GET":      _signed_in(404),
    },
    "analysis_texts_add": {
        "GET":      _signed_in(405),
        "POST":     _signed_in(404),
    },
    "analysis_member_set": {
        "GET":      _signed_in(405),
        "POST":     _signed_in(404),
    },
    "analysis_agreement": {
        "GET":      _signed_in(404),
    },
    "analysis_qdpx": {
        "GET":      _signed_in(404),
    },
    "analysis_qdc": {
        "GET":      _signed_in(404),
    },
    "analysis_qdc_import": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    # Issue 15, the codebook, consensus, themes and CSV exports: every route
    # is about one project, which this cast cannot see.
    "analysis_codebook": {
        "GET":      _signed_in(404),
    },
    "analysis_codebook_history": {
        "GET":      _signed_in(404),
    },
    "analysis_export_long": {
        "GET":      _signed_in(404),
    },
    "analysis_export_wide": {
        "GET":      _signed_in(404),
    },
    "analysis_export_codebook": {
        "GET":      _signed_in(404),
    },
    "analysis_disagreements": {
        "GET":      _signed_in(404),
    },
    "analysis_themes": {
        "GET":      _signed_in(404),
    },
    "analysis_code_create": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_code_edit": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_code_retire": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_category_create": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_category_edit": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_code_reorder": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_code_memo": {
        "GET":      _signed_in(405),
        "POST":     _signed_in(404),
    },
    "analysis_settle": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_quote_add": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_quote_remove": {
        "GET":      _signed_in(405),
        "POST":     _signed_in(404),
    },
    # Issue 15: screening and coding (analysis/urls_coding.py).
    "analysis_screen": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_screen_settle": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    "analysis_code": {
        "GET":      _signed_in(404),
    },
    "analysis_code_text": {
        "GET":      _signed_in(404),
        "POST":     _signed_in(404),
    },
    **{
        name: {"GET": _signed_in(405), "POST": _signed_in(404)}
        for name in (
            "analysis_passage_add",
            "analysis_coding_delete",
            "analysis_memo_save",
            "analysis_code_finish",
            "analysis_code_reopen",
        )
    },
}
# fmt: on

# A supervisor at `mentor`'s own site who does not supervise `mentor` gets what
# a supervisor at another site gets: supervision, not the site, is the scope.
# The column is derived here, next to the table, so the two can never drift.
_OTHER_SUPERVISOR = ROLES.index("other_supervisor")
ROLES = (*ROLES, "site_supervisor")
EXPECTED = {
    name: {method: (*row, row[_OTHER_SUPERVISOR]) for method, row in methods.items()}
    for name, methods in EXPECTED.items()
}

# AZ-6: the only views a stranger reaches. Any change here is a security review.
ANONYMOUS_VIEWS = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "healthz",
    "unsubscribe",  # one-click from a mail client; the link's token is the secret
    "invitation_accept",  # the invitation mail's link; its token is the secret
    "admin:login",  # Django's admin login form (inside the "admin:index" entry)
    "service_worker",  # the offline app's code: no data, updated while signed out
    "manifest",  # fetched by the browser without cookies
    # The read API (issue 16): no session; every data route needs a token.
    "api-v1:sites",
    "api-v1:cohorts",
    "api-v1:logs",
    "api-v1:logs_csv",
    "api-v1:logs_ndjson",
    "api-v1:openapi-json",
    "api-v1:openapi-view",
    "api-v1:api-root",
    "api-v1:options",
    "api-v1:codebook",
    "api-v1:participant_measures",
    "api-v1:analysis_final_codes",
}


def _url(name: str, log: InteractionLog) -> str:
    if name in {
        "log_detail",
        "log_edit",
        "log_autosave",
        "log_review",
        "log_comment_add",
        "feedback_acknowledge",
        "log_void",
    }:
        return reverse(name, args=[log.pk])
    if name in FOLLOWUP_URLS:
        return reverse(name, args=[_followup(log).pk])
    if name == "unsubscribe":
        return reverse(name, args=[uuid.UUID(int=0)])
    if name == "participant_detail":
        return reverse(name, args=[log.participant_id])
    if name == "password_reset_confirm":
        return reverse(name, args=["MQ", "not-a-token"])
    if name in {"export_detail", "export_status", "export_download"}:
        return reverse(name, args=[_export_job().pk])
    if name == "api_token_revoke":
        return reverse(name, args=[_api_token().pk])
    if name == "invitation_act":
        return reverse(name, args=[_invitation().pk, "resend"])
    if name == "invitation_accept":
        from programs.invitations import invitation_token

        invitation = _invitation()
        return reverse(name, args=[invitation.pk, invitation_token(invitation)])
    if name in {"participant_lifecycle", "participant_assign", "participant_erase"}:
        return reverse(name, args=[log.participant_id])
    if name == "cohort_edit":
        return reverse(name, args=[_cohort(log).pk])
    if name == "caseload_limit":
        return reverse(name, args=[log.participant.site_id])
    if name == "assignment_end":
        return reverse(name, args=[log.participant.assignments.first().pk])
    if name == "import_template":
        return reverse(name, args=["csv"])
    if name in {"import_detail", "import_apply"}:
        return reverse(name, args=[_participant_import().pk])
    if name in {"meeting_list", "meeting_plan"}:
        return reverse(name, args=[log.mentor_id])
    if name in {"meeting_detail", "meeting_record", "meeting_action_add"}:
        return reverse(name, args=[_meeting(log).pk])
    if name == "meeting_action_done":
        return reverse(name, args=[_meeting(log).actions.get().pk])
    if name == "api-v1:analysis_final_codes":
        return reverse(name, args=[_analysis_project(log).pk])
    if name in ANALYSIS_PROJECT_URLS:
        return reverse(name, args=[_analysis_project(log).pk])
    if name in ANALYSIS_OBJECT_URLS:
        # The project's 404 comes first, so the further ids need not exist.
        extra = [0] * ANALYSIS_OBJECT_URLS[name]
        return reverse(name, args=[_analysis_project(log).pk, *extra])
    if name in ANALYSIS_TEXT_URLS:
        return _analysis_text_url(name, log)
    return reverse(name)


# Issue 15: routes about one analysis project (its pk is the only argument).
ANALYSIS_PROJECT_URLS = {
    "analysis_project",
    "analysis_texts_add",
    "analysis_member_set",
    "analysis_screen",
    "analysis_screen_settle",
    "analysis_code",
    "analysis_agreement",
    "analysis_qdpx",
    "analysis_qdc",
    "analysis_qdc_import",
    "analysis_codebook",
    "analysis_codebook_history",
    "analysis_code_create",
    "analysis_category_create",
    "analysis_code_reorder",
    "analysis_export_long",
    "analysis_export_wide",
    "analysis_export_codebook",
    "analysis_disagreements",
    "analysis_themes",
}
# Routes about one object of a project: how many ids follow the project's.
ANALYSIS_OBJECT_URLS = {
    "analysis_code_edit": 1,
    "analysis_code_memo": 1,
    "analysis_code_retire": 1,
    "analysis_category_edit": 1,
    "analysis_settle": 2,
    "analysis_quote_add": 1,
    "analysis_quote_remove": 1,
}
# Routes about one text of the project (and one coding of it).
ANALYSIS_TEXT_URLS = {
    "analysis_code_text",
    "analysis_passage_add",
    "analysis_coding_delete",
    "analysis_memo_save",
    "analysis_code_finish",
    "analysis_code_reopen",
}


def _analysis_text_url(name: str, log) -> str:
    """The URL of an included text of the project over `log`, coded by its lead."""
    from analysis.models import Code, Coding, Text

    project = _analysis_project(log)
    text, _ = Text.objects.get_or_create(
        project=project,
        log=log,
        field="reflection_feelings",
        defaults={
            "body": "Words.",
            "mentor_key": "M-1",
            "participant_key": "P-1",
            "site": log.participant.site,
            "contact_date": log.contact_date,
            "screening": Text.Screening.INCLUDED,
        },
    )
    if name != "analysis_coding_delete":
        return reverse(name, args=[project.pk, text.pk])
    code, _ = Code.objects.get_or_create(project=project, name="C", definition="D")
    coding, _ = Coding.objects.get_or_create(
        text=text, coder=project.created_by, code=code, codebook_version=1
    )
    return reverse(name, args=[project.pk, text.pk, coding.pk])


def _analysis_project(log):
    """A project over `log`'s site, led by an analyst outside the cast."""
    from analysis.models import AnalysisRight, Project

    project = Project.objects.first()
    if project is None:
        lead = UserFactory(username="analysis_lead", roles=[Role.RESEARCH])
        AnalysisRight.objects.create(user=lead, site=log.participant.site)
        project = Project.objects.create(name="P", question="Q", created_by=lead)
        project.sites.add(log.participant.site)
    return project


FOLLOWUP_URLS = {
    "followup_detail",
    "followup_start",
    "followup_resolve",
    "followup_reopen",
    "followup_reassign",
}


def _followup(log: InteractionLog):
    """`log`'s open safety item, owned by `supervisor`."""
    return FollowUpItem.objects.filter(log=log).first() or FollowUpItemFactory(log=log)


def _export_job():
    """A finished CSV export of `staff` (or of another research user when the
    case does not use `staff`), built by the job path."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from exports.filters import ExportFilters
    from exports.jobs import export_job_run
    from exports.models import ExportRight
    from exports.services import export_job_create

    owner = User.objects.filter(username="staff").first() or UserFactory(
        username="export_owner", roles=[Role.RESEARCH]
    )
    ExportRight.objects.get_or_create(
        user=owner, defaults={"level": "coded", "granted_at": timezone.now()}
    )
    job = export_job_create(
        user=owner, filters=ExportFilters(), level="coded", fmt="csv"
    )
    export_job_run(job.pk)
    return job


def _cohort(log):
    """A cohort at `log`'s participant's site."""
    import datetime as dt

    from participants.models import Cohort

    return Cohort.objects.get_or_create(
        site_id=log.participant.site_id,
        name="Matrix",
        defaults={"start_date": dt.date(2026, 1, 1)},
    )[0]


def _invitation():
    """A waiting invitation to the first site, from a lead outside the cast."""
    from participants.models import Site
    from programs.invitations import invitation_create

    owner = UserFactory(username="invitation_owner", roles=[Role.SUPERVISOR])
    return invitation_create(
        actor=owner, email="invited@example.org", role="mentor",
        sites=[Site.objects.order_by("pk").first()],
    )  # fmt: skip


def _participant_import():
    """A previewed enrolment import of a site lead outside the cast: a
    template with no rows, so applying it changes nothing."""
    from programs.imports import COLUMNS
    from programs.models import ParticipantImport

    owner = UserFactory(username="import_owner", roles=[Role.SUPERVISOR])
    plan = {
        "rows": 0,
        "add": [],
        "change": [],
        "unchanged": 0,
        "errors": [],
        "file_error": "",
        "sites": [],
        "table": {"header": COLUMNS, "rows": []},
    }
    return ParticipantImport.objects.create(
        created_by=owner, filename="enrolled.csv", sha256="0" * 64, size=1, plan=plan
    )  # fmt: skip


def _api_token():
    """A live API token of a research user outside the cast."""
    from django.utils import timezone

    from api.tokens import token_create
    from exports.models import ExportRight
    from participants.models import Site

    site = Site.objects.first()
    owner = UserFactory(username="token_owner", roles=[Role.RESEARCH], sites=[site])
    ExportRight.objects.create(user=owner, level="coded", granted_at=timezone.now())
    return token_create(
        user=owner, name="T", level="coded", site_ids=[site.pk], days=30
    ).token


def _meeting(log):
    """A planned supervision meeting of `log`'s mentor with one open action."""
    from supervision.models import SupervisionMeeting

    meeting = SupervisionMeeting.objects.create(
        mentor=log.mentor,
        supervisor=log.mentor.supervisor,
        planned_for=log.submitted_at,
    )
    meeting.actions.create(text="Read the boundaries handout")
    return meeting


@pytest.fixture(autouse=True)
def _export_files(settings, tmp_path):
    """Export files written by the export_* rows go to a temporary directory."""
    settings.PEERLOG_EXPORT_DIR = str(tmp_path / "exports")


def _post_data(name: str, log: InteractionLog) -> dict:
    """What the author would post: valid, so that only the caller's rights decide."""
    if name in {"log_edit", "log_sync"}:
        return {
            **({"log": str(log.pk), "action": "submit"} if name == "log_sync" else {}),
            "idempotency_key": str(log.idempotency_key),
            "version": str(log.version),
            "participant": str(log.participant_id),
            "outcome": "met",
            "contact_date": "2026-11-16",
            "start_time": "10:00",
            "duration_minutes": "60",
            "mode": "in_person",
            "narrative": "Changed: we met at the clinic and talked about cravings.",
        }
    if name == "log_autosave":
        return {"narrative": "Typing a change into the submitted log"}
    if name == "log_review":
        return {
            "version": str(log.version),
            "action": "review",
            "comment": "Well done.",
        }
    if name == "log_void":
        return {"reason": "Filed twice by mistake."}
    if name == "mail_preferences":
        return {"digest": "weekly"}
    if name == "log_comment_add":
        return {"body": "Thank you for writing this up so clearly."}
    if name in {"followup_start", "followup_reopen"}:
        return {"version": "1"}
    if name == "followup_resolve":
        return {"version": "1", "note": "Called the mentor the same evening."}
    if name == "followup_reassign":
        return {"version": "1", "to": "lead"}
    if name == "export_page":
        return {"level": "coded", "format": "csv"}
    if name in {"log_create", "log_autosave_new"}:
        return {"idempotency_key": str(uuid.uuid4()), "action": "save"}
    if name == "meeting_plan":
        return {"planned_for": "2026-11-20T10:00"}
    if name == "meeting_record":
        return {"version": "1", "held_at": "2026-11-19T10:00", "notes": "Held."}
    if name == "meeting_action_add":
        return {"text": "Call the clinic"}
    return {}


# --- the cast, completed -------------------------------------------------------------
@pytest.fixture
def peer_mentor(db, site, supervisor):
    return MentorFactory(
        user__username="peer_mentor", sites=[site], supervisor=supervisor
    )


@pytest.fixture
def site_supervisor(db, site):
    """A supervisor with access to `site` who does not supervise `mentor`."""
    user = UserFactory(
        username="site_supervisor", roles=[Role.SUPERVISOR], sites=[site]
    )
    MentorFactory(user__username="their_mentor", sites=[site], supervisor=user)
    return user


@pytest.fixture
def other_staff(db, other_site):
    return UserFactory(
        username="other_staff", roles=[Role.RESEARCH], sites=[other_site]
    )


@pytest.fixture
def user_for(request):
    """Role name → the signed-in user (None for anonymous)."""

    def get(role: str):
        if role == "anonymous":
            return None
        if role == "admin":
            return request.getfixturevalue("admin_user")
        value = request.getfixturevalue(role)
        return getattr(value, "user", value)  # Mentor profiles → their User

    return get


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _state() -> tuple:
    """Everything a log request could change, besides the audit trail."""
    logs = list(InteractionLog.objects.order_by("pk").values())
    links = [
        sorted(getattr(log, name).values_list("pk", flat=True))
        for log in InteractionLog.objects.order_by("pk")
        for name in ("techniques", "topics", "role_functions")
    ]
    revisions = list(LogRevision.objects.order_by("pk").values_list("pk", flat=True))
    autosaves = list(LogAutosave.objects.order_by("pk").values())
    return logs, links, revisions, autosaves


def _assert_status(response, expected, path: str) -> None:
    if isinstance(expected, _Login):
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"
    elif isinstance(expected, Redirect):
        assert response.status_code == 302
        assert re.fullmatch(expected.pattern, response["Location"]), response[
            "Location"
        ]
    else:
        assert response.status_code == expected


# --- AZ-1: every URL has a row --------------------------------------------------------
def _patterns(resolver: URLResolver, namespace: str = "", prefix: str = ""):
    """(namespaced name or route, view) for every leaf URL pattern."""
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from _patterns(entry, full, route)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield (name or route), entry.callback


def _route_names() -> set[str]:
    names = set()
    for name, _view in _patterns(get_resolver()):
        names.add("admin:index" if name.startswith("admin:") else name)
    return names


def test_every_url_has_a_row_in_the_matrix():
    # A new URL fails here until someone decides who may reach it.
    assert _route_names() == set(EXPECTED)


def test_every_row_has_an_answer_for_each_role():
    for name, methods in EXPECTED.items():
        for method, row in methods.items():
            assert len(row) == len(ROLES), (name, method)


# --- AZ-6: the anonymous surface, exactly ---------------------------------------------
def test_only_the_listed_views_skip_login():
    open_views = {
        name
        for name, view in _patterns(get_resolver())
        if not getattr(view, "login_required", True)
    }
    assert open_views == ANONYMOUS_VIEWS


def test_matrix_lets_strangers_reach_only_the_anonymous_views():
    reachable = {
        name
        for name, methods in EXPECTED.items()
        if not isinstance(methods["GET"][0], _Login | Redirect)
    }
    assert reachable | {"admin:login"} == ANONYMOUS_VIEWS


def test_admin_login_sends_everyone_to_the_one_sign_in_page(client):
    # AZ-12 / AUTH-4/5: the admin has no password form of its own to get round
    # the lockout or the two-step check.
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


# --- the matrix -----------------------------------------------------------------------
CASES = [
    pytest.param(name, method, role, row[i], id=f"{name}-{method}-{role}")
    for name, methods in EXPECTED.items()
    for method, row in methods.items()
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("name", "method", "role", "expected"), CASES)
def test_matrix(name, method, role, expected, user_for, log, other_log):
    user = user_for(role)
    client = _client(user)
    path = _url(name, log)
    before = _state()

    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, _post_data(name, log))

    _assert_status(response, expected, path)
    succeeded = method == "POST" and (
        expected == 200 or expected in (NEW, SAVED, OUT, QUEUE, REVIEWED, MEETING)
    )
    if not succeeded:
        # Reads and refusals never change a log, its history or its autosaves.
        assert _state() == before
    denials = AuditEvent.objects.filter(action="access.denied")
    if user is not None and expected in (403, 404):
        event = denials.get()
        assert (event.actor, event.outcome, event.path, event.method) == (
            user,
            str(expected),
            path,
            method,
        )
        assert event.details == {"view": name}
    else:
        assert not denials.exists()


# --- AZ-2: the other mentor's log, in detail ------------------------------------------
@pytest.mark.parametrize("name", ["log_edit", "log_autosave"])
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("other_mentor", 404),
        ("peer_mentor", 404),
        ("other_supervisor", 404),
        ("other_staff", 404),
        ("nobody", 404),
        ("supervisor", 403),
        ("staff", 403),
        ("admin", 403),
    ],
)
def test_post_to_someone_elses_log_changes_nothing_and_is_audited(
    name, role, status, user_for, log
):
    user = user_for(role)
    data = _post_data(name, log)
    data.update(
        status=InteractionLog.Status.REVIEWED, narrative="Overwritten by someone else"
    )

    response = _client(user).post(_url(name, log), data)

    assert response.status_code == status
    stored = InteractionLog.objects.get(pk=log.pk)
    assert (stored.narrative, stored.version, stored.status, stored.updated_at) == (
        log.narrative,
        log.version,
        log.status,
        log.updated_at,
    )
    assert not LogRevision.objects.filter(log=log).exists()
    assert not LogAutosave.objects.exists()
    event = AuditEvent.objects.get(action="access.denied")
    assert (event.actor, event.outcome, event.object_id) == (user, str(status), "")


@pytest.mark.parametrize("role", ["mentor", "admin"])
@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("log_detail", "get"),
        ("log_edit", "get"),
        ("log_edit", "post"),
        ("log_autosave", "post"),
    ],
)
def test_missing_log_gets_404(role, name, method, user_for, log):
    user = user_for(role)
    path = reverse(name, args=[log.pk + 1000])

    response = getattr(_client(user), method)(path, _post_data(name, log))

    assert response.status_code == 404
    assert AuditEvent.objects.get(action="access.denied").outcome == "404"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("mentor", 200),
        ("admin", 200),  # admins see everything, drafts included
        ("supervisor", 404),  # a draft is not filed yet: nobody else sees it
        ("staff", 404),
        ("peer_mentor", 404),
    ],
)
def test_draft_is_seen_by_its_author_and_admins_only(
    role, status, user_for, mentor, participant
):
    draft = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        status=InteractionLog.Status.DRAFT,
        submitted_at=None,
    )
    response = _client(user_for(role)).get(reverse("log_detail", args=[draft.pk]))
    assert response.status_code == status


@pytest.mark.parametrize("name", ["log_edit", "log_autosave"])
def test_reviewed_log_is_locked_for_its_author(name, mentor, participant):
    reviewed = InteractionLogFactory(
        mentor=mentor, participant=participant, status=InteractionLog.Status.REVIEWED
    )
    client = _client(mentor.user)
    response = client.post(
        reverse(name, args=[reviewed.pk]), _post_data(name, reviewed)
    )
    assert response.status_code == 403
    reviewed.refresh_from_db()
    assert reviewed.version == 1
    assert not LogAutosave.objects.exists()


# --- wrong methods --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("log_detail", "delete"),
        ("log_detail", "put"),
        ("log_detail", "post"),
        ("log_edit", "delete"),
        ("log_edit", "put"),
        ("log_autosave", "get"),
        ("log_autosave", "delete"),
        ("log_autosave_new", "get"),
        ("log_create", "put"),
        ("log_create", "delete"),
        ("log_list", "post"),
        ("my_week", "post"),
        ("home", "post"),
        ("healthz", "post"),
        ("logout", "get"),
    ],
)
@pytest.mark.parametrize("role", ["mentor", "other_mentor"])
def test_wrong_method_gets_405(name, method, role, user_for, log):
    before = _state()
    response = getattr(_client(user_for(role)), method)(_url(name, log))
    assert response.status_code == 405
    assert _state() == before


# --- AZ-5: forms name their fields ----------------------------------------------------
def test_create_naming_another_mentors_participant_creates_nothing(
    mentor, participant, other_participant, other_log
):
    before = _state()
    response = _client(mentor.user).post(
        reverse("log_create"), log_form(other_participant)
    )
    assert response.status_code == 400
    assert "participant" in response.context["form"].errors
    assert _state() == before
    # The choices offered are the mentor's own participants only.
    offered = response.context["form"].fields["participant"].queryset
    assert list(offered) == [participant]


def test_create_reusing_another_mentors_idempotency_key_changes_nothing(
    mentor, participant, other_log
):
    before = _state()
    data = log_form(participant, idempotency_key=str(other_log.idempotency_key))

    response = _client(mentor.user).post(reverse("log_create"), data)

    assert response.status_code == 400
    assert _state() == before


def test_autosave_reusing_another_mentors_idempotency_key_changes_nothing(
    mentor, participant, other_log
):
    before = _state()
    data = log_form(participant, idempotency_key=str(other_log.idempotency_key))
    del data["action"]

    response = _client(mentor.user).post(reverse("log_autosave_new"), data)

    assert response.status_code == 400
    assert response.json()["status"] == "invalid"
    assert _state() == before


def test_autosave_naming_another_mentors_participant_keeps_it_out(
    mentor, participant, other_participant
):
    data = log_form(other_participant)
    del data["action"]

    response = _client(mentor.user).post(reverse("log_autosave_new"), data)

    assert response.status_code == 200
    draft = InteractionLog.objects.get()
    assert (draft.mentor, draft.status, draft.participant) == (
        mentor,
        InteractionLog.Status.DRAFT,
        None,
    )


def test_create_ignores_forged_status_owner_and_bookkeeping_fields(
    mentor, participant, other_mentor, admin_user
):
    key = uuid.uuid4()
    forged = {
        "status": InteractionLog.Status.REVIEWED,
        "mentor": str(other_mentor.pk),
        "reviewed_by": str(admin_user.pk),
        "is_voided": "on",
        "submitted_at": "2020-01-01 00:00",
        "version": "7",
        "action": "save",
    }
    response = _client(mentor.user).post(
        reverse("log_create"),
        log_form(participant, idempotency_key=str(key), **forged),
    )

    assert response.status_code == 302
    log = InteractionLog.objects.get()
    assert (log.mentor, log.status, log.is_voided, log.version) == (
        mentor,
        InteractionLog.Status.DRAFT,
        False,
        1,
    )
    assert log.submitted_at is None
    assert log.idempotency_key == key


def test_edit_ignores_forged_status_owner_and_key(mentor, log, other_mentor, other_log):
    data = _post_data("log_edit", log)
    data.update(
        status=InteractionLog.Status.REVIEWED,
        mentor=str(other_mentor.pk),
        is_voided="on",
        idempotency_key=str(other_log.idempotency_key),
    )

    response = _client(mentor.user).post(reverse("log_edit", args=[log.pk]), data)

    assert response.status_code == 302
    stored = InteractionLog.objects.get(pk=log.pk)
    assert (stored.mentor, stored.status, stored.is_voided, stored.version) == (
        mentor,
        InteractionLog.Status.SUBMITTED,
        False,
        2,
    )
    assert stored.idempotency_key == log.idempotency_key
    other_log_after = InteractionLog.objects.get(pk=other_log.pk)
    assert (other_log_after.version, other_log_after.narrative) == (
        other_log.version,
        other_log.narrative,
    )


# --- AZ-3 / AZ-4: lists over two sites of data ----------------------------------------
@pytest.fixture
def two_sites(
    site,
    mentor,
    peer_mentor,
    other_mentor,
    other_supervisor,
    log,
    other_log,
    participant,
    other_participant,
):
    """Logs at both sites, by mentors of both supervisors. Returns role → the ids
    that role's log list must show: written out, not derived from visible_to."""
    peer_participant = ParticipantFactory(study_id="NYC-0002", site=site)
    AssignmentFactory(mentor=peer_mentor, participant=peer_participant)
    # Works at `site` but is supervised from the other site.
    cross_mentor = MentorFactory(sites=[site], supervisor=other_supervisor)
    cross_participant = ParticipantFactory(study_id="NYC-0003", site=site)
    AssignmentFactory(mentor=cross_mentor, participant=cross_participant)

    mine = [log] + [
        InteractionLogFactory(mentor=mentor, participant=participant) for _ in range(2)
    ]
    draft = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        status=InteractionLog.Status.DRAFT,
        submitted_at=None,
    )
    voided = InteractionLogFactory(
        mentor=mentor, participant=participant, is_voided=True, void_reason="Twice"
    )
    peers = [
        InteractionLogFactory(mentor=peer_mentor, participant=peer_participant)
        for _ in range(2)
    ]
    cross = [
        InteractionLogFactory(mentor=cross_mentor, participant=cross_participant)
        for _ in range(2)
    ]
    others = [other_log] + [
        InteractionLogFactory(mentor=other_mentor, participant=other_participant)
        for _ in range(2)
    ]
    assert voided.pk  # in no list, for anyone

    def ids(*groups):
        return {log.pk for group in groups for log in group}

    return {
        "mentor": ids(mine, [draft]),
        "supervisor": ids(mine, peers),
        "staff": ids(mine, peers, cross),
        "other_supervisor": ids(cross, others),
        "other_staff": ids(others),
        "admin": ids(mine, [draft], peers, cross, others),
        "nobody": set(),
    }


def _walk_list(client, params=None) -> tuple[int, list[int], str]:
    """(paginator total, ids across all pages, all pages' HTML)."""
    ids, html, number = [], "", 1
    while True:
        response = client.get(reverse("log_list"), {**(params or {}), "page": number})
        assert response.status_code == 200
        page = response.context["page"]
        ids += [log.pk for log in page.object_list]
        html += response.content.decode()
        if not page.has_next():
            return page.paginator.count, ids, html
        number += 1


@pytest.mark.parametrize(
    "role",
    [
        "mentor",
        "supervisor",
        "staff",
        "other_supervisor",
        "other_staff",
        "admin",
        "nobody",
    ],
)
def test_log_list_shows_only_logs_in_scope(role, two_sites, user_for, settings):
    settings.PEERLOG_PAGE_SIZE = 2  # several pages: totals must be scoped too
    expected = two_sites[role]

    total, ids, html = _walk_list(_client(user_for(role)))

    assert total == len(expected)
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    if role in {"supervisor", "staff", "nobody"}:
        assert "SYD-0001" not in html


@pytest.mark.parametrize("role", ["supervisor", "staff"])
def test_log_list_filters_cannot_reach_out_of_scope(
    role, two_sites, user_for, other_participant
):
    client = _client(user_for(role))

    # A participant from the other site is not a valid choice: the list stays
    # within scope (research staff: the filter is dropped; a supervisor, who
    # filters to work their queue, gets an empty list rather than everything
    # as if filtered, issue 14).
    response = client.get(reverse("log_list"), {"participant": other_participant.pk})
    assert "participant" in response.context["filters"].errors
    shown = 0 if role == "supervisor" else len(two_sites[role])
    assert response.context["page"].paginator.count == shown
    offered = response.context["filters"].fields["participant"].queryset
    assert other_participant not in offered

    # Drafts are outside a supervisor's or research scope whatever the filter.
    response = client.get(reverse("log_list"), {"status": "draft"})
    assert response.context["page"].paginator.count == 0


@pytest.fixture
def research_without_site(db):
    return UserFactory(username="research_without_site", roles=[Role.RESEARCH])


@pytest.fixture
def supervisor_without_mentors(db, site):
    return UserFactory(
        username="lonely_supervisor", roles=[Role.SUPERVISOR], sites=[site]
    )


@pytest.mark.parametrize(
    "role", ["nobody", "research_without_site", "supervisor_without_mentors"]
)
def test_user_without_scope_sees_zero_records(role, two_sites, user_for):
    client = _client(user_for(role))

    response = client.get(reverse("log_list"))

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert list(response.context["page"].object_list) == []
    assert list(response.context["filters"].fields["participant"].queryset) == []
    for pk in two_sites["admin"]:
        assert client.get(reverse("log_detail", args=[pk])).status_code == 404


def test_supervisor_with_research_role_can_filter_the_log_list(site, staff, log):
    """Regression: Participant.visible_to used to OR a join over
    site__access_grants with the assignment subqueries, so a user with both roles
    got each participant once per grant at its site, and the participant filter
    raised MultipleObjectsReturned (a 500)."""
    # `staff` also holds a grant to `site`: that second grant duplicates the rows.
    both = UserFactory(
        username="both", roles=[Role.SUPERVISOR, Role.RESEARCH], sites=[site]
    )
    mentor = MentorFactory(sites=[site], supervisor=both)
    participant = ParticipantFactory(study_id="NYC-0099", site=site)
    AssignmentFactory(mentor=mentor, participant=participant)
    mine = InteractionLogFactory(mentor=mentor, participant=participant)

    response = _client(both).get(reverse("log_list"), {"participant": participant.pk})

    assert response.status_code == 200
    assert [row.pk for row in response.context["page"].object_list] == [mine.pk]
    offered = list(response.context["filters"].fields["participant"].queryset)
    assert len(offered) == len(set(offered))


# --- AZ-7 on the read path: who reads names and reflections ---------------------------
REFLECTION = "It brought back my own first weeks without smoking."


@pytest.mark.parametrize(
    ("role", "sees_name"),
    [
        ("mentor", True),
        ("supervisor", True),
        ("staff", False),  # research staff never see preferred names
        ("admin", False),
    ],
)
def test_preferred_name_on_detail_and_list(role, sees_name, user_for, log):
    client = _client(user_for(role))
    detail = client.get(reverse("log_detail", args=[log.pk])).content.decode()
    listing = client.get(reverse("log_list")).content.decode()
    assert ("Jay" in detail) is sees_name
    assert "Jay" not in listing  # lists and filters show study IDs only


def test_supervisor_reads_reflections(user_for, log):
    log.reflection_feelings = REFLECTION
    log.save()
    response = _client(user_for("supervisor")).get(reverse("log_detail", args=[log.pk]))
    assert REFLECTION in response.content.decode()


def test_research_staff_do_not_read_reflections_without_the_mentors_consent(
    user_for, mentor, log
):
    assert mentor.reflections_consent_at is None
    log.reflection_feelings = REFLECTION
    log.save()
    response = _client(user_for("staff")).get(reverse("log_detail", args=[log.pk]))
    assert response.status_code == 200
    assert REFLECTION not in response.content.decode()
