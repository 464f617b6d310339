"""Issue 15: the versioned codebook: who changes it, what each change keeps
(reason, snapshot, added_in/changed_in), validation, history, concurrency."""

import threading
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse

from analysis import codebook
from analysis.models import AnalysisRight, Category, Code, CodebookVersion
from audit.models import AuditEvent
from tests.analysis.codebook_helpers import apply, code_of, text_of
from tests.analysis.factories import analyst, member, project_of
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_now")

CODE = {
    "name": "Friendship",
    "definition": "The mentor describes the relation as a friendship.",
    "when_to_use": "Words like friend, mate, buddy.",
    "when_not_to_use": "Friendly tone alone.",
    "example": "I felt like her friend.",
    "color": "#AA3377",
    "reason": "First code from the pilot reading.",
}


@pytest.fixture
def lead(db, site):
    return analyst("lead", site)


@pytest.fixture
def project(lead, site):
    return project_of(lead, site)


@pytest.fixture
def coder(project, site):
    user = analyst("coder", site)
    member(project, user)
    return user


def versions(project):
    return list(
        CodebookVersion.objects.filter(project=project).values_list("number", "reason")
    )


# --- permissions ---------------------------------------------------------------------
def test_lead_adds_a_code_as_a_new_version(lead, project):
    response = client_for(lead).post(
        reverse("analysis_code_create", args=[project.pk]), CODE
    )
    assert response.status_code == 302
    code = Code.objects.get(project=project)
    assert (code.name, code.color, code.added_in, code.changed_in) == (
        "Friendship",
        "#aa3377",  # stored lower-case, as the colour input sends it
        2,
        2,
    )
    assert versions(project) == [
        (1, "Project created"),
        (2, "First code from the pilot reading."),
    ]
    snapshot = CodebookVersion.objects.get(project=project, number=2).snapshot
    assert [c["name"] for c in snapshot["codes"]] == ["Friendship"]
    assert snapshot["codes"][0]["definition"] == CODE["definition"]
    event = AuditEvent.objects.get(action="analysis.codebook.code_create")
    assert event.details["version"] == 2


def test_coder_reads_the_codebook_but_cannot_change_it(coder, project):
    code_of(project, "Boundaries")
    client = client_for(coder)
    page = client.get(reverse("analysis_codebook", args=[project.pk]))
    assert page.status_code == 200 and b"Boundaries" in page.content
    assert b"Add a code" not in page.content
    url = reverse("analysis_code_create", args=[project.pk])
    assert client.post(url, CODE).status_code == 403
    assert versions(project) == [(1, "Project created")]


@pytest.mark.parametrize(
    "name", ["analysis_codebook", "analysis_codebook_history", "analysis_code_create"]
)
def test_non_member_analyst_gets_404(project, site, name):
    outsider = analyst("outsider", site)
    assert client_for(outsider).get(reverse(name, args=[project.pk])).status_code == 404


def test_analyst_who_lost_the_right_at_one_site_gets_404(lead, site, other_site):
    AnalysisRight.objects.create(user=lead, site=other_site)
    project = project_of(lead, site, other_site)
    client = client_for(lead)
    url = reverse("analysis_codebook", args=[project.pk])
    assert client.get(url).status_code == 200
    AnalysisRight.objects.filter(user=lead, site=other_site).delete()
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("analysis_code_create", args=[project.pk]), CODE
        ).status_code
        == 404
    )


# --- validation ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"color": "#12345"}, "color"),
        ({"color": "red"}, "color"),
        ({"definition": ""}, "definition"),
    ],
)
def test_refused_changes_keep_the_typed_text_and_make_no_version(
    lead, project, change, field
):
    response = client_for(lead).post(
        reverse("analysis_code_create", args=[project.pk]), CODE | change
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert CODE["example"] in response.content.decode()
    assert versions(project) == [(1, "Project created")]
    assert not Code.objects.exists()


def test_duplicate_code_name_is_refused_whatever_the_case(lead, project):
    code_of(project, "Friendship")
    response = client_for(lead).post(
        reverse("analysis_code_create", args=[project.pk]),
        CODE | {"name": "FRIENDSHIP"},
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert Code.objects.count() == 1


def test_service_refuses_a_missing_reason_and_a_bad_colour(lead, project):
    with pytest.raises(ValidationError):
        codebook.code_save(actor=lead, project=project, data=CODE, reason="")
    with pytest.raises(ValidationError):
        codebook.code_save(
            actor=lead, project=project, data=CODE | {"color": "#zzzzzz"}, reason="x"
        )
    assert versions(project) == [(1, "Project created")]
    assert not Code.objects.exists()


def test_category_of_another_project_cannot_be_posted(lead, project, site):
    elsewhere = project_of(lead, site, name="Other")
    foreign = Category.objects.create(project=elsewhere, name="Foreign")
    response = client_for(lead).post(
        reverse("analysis_code_create", args=[project.pk]),
        CODE | {"category": foreign.pk},
    )
    assert response.status_code == 400 and "category" in response.context["form"].errors


# --- lifecycle and history -----------------------------------------------------------
def test_lifecycle_records_versions_and_history_names_each_change(
    lead, project, coder, site
):
    client = client_for(lead)
    client.post(
        reverse("analysis_category_create", args=[project.pk]),
        {"name": "Role", "description": "", "reason": "Group the role codes."},
    )
    category = Category.objects.get(project=project)
    client.post(
        reverse("analysis_code_create", args=[project.pk]),
        CODE | {"category": category.pk},
    )
    code = Code.objects.get(name="Friendship")
    client.post(
        reverse("analysis_code_create", args=[project.pk]),
        CODE | {"name": "Boundaries", "reason": "Second code."},
    )
    client.post(
        reverse("analysis_code_edit", args=[project.pk, code.pk]),
        CODE
        | {
            "name": "Friendship talk",
            "category": category.pk,
            "definition": "Narrower.",
            "reason": "Too broad in round one.",
        },
    )
    apply(text_of(project, site), coder, code)
    client.post(
        reverse("analysis_code_retire", args=[project.pk, code.pk]),
        {"reason": "Merged into Boundaries."},
    )
    boundaries = Code.objects.get(name="Boundaries")
    client.post(
        reverse("analysis_code_reorder", args=[project.pk]),
        {
            f"place_{code.pk}": 2,
            f"place_{boundaries.pk}": 1,
            "reason": "Most used first.",
        },
    )
    code.refresh_from_db()
    # Retired, never deleted: its coding is history.
    assert (code.active, code.added_in, code.changed_in) == (False, 3, 6)
    assert code.codings.count() == 1
    assert [n for n, _r in versions(project)] == [1, 2, 3, 4, 5, 6, 7]
    assert list(Code.objects.filter(project=project)) == [boundaries, code]

    page = client.get(reverse("analysis_codebook_history", args=[project.pk]))
    html = page.content.decode()
    for expected in [
        "Category added: Role",
        "Code added: Friendship",
        "Code added: Boundaries",
        "Code renamed: Friendship → Friendship talk",
        "Definition changed: Friendship talk",
        "Code retired: Friendship talk",
        "Codes reordered",
        "Too broad in round one.",
    ]:
        assert expected in html, expected


def test_retired_code_can_be_restored(lead, project):
    code = code_of(project, "Hope")
    codebook.code_set_active(actor=lead, code=code, active=False, reason="Unused.")
    codebook.code_set_active(actor=lead, code=code, active=True, reason="Needed.")
    code.refresh_from_db()
    assert code.active and code.changed_in == 3
    v2, v3 = CodebookVersion.objects.filter(number__in=[2, 3]).order_by("number")
    assert codebook.snapshot_diff(v2.snapshot, v3.snapshot) == [
        codebook.Change("restored", "Hope")
    ]


# --- concurrency ---------------------------------------------------------------------
def test_a_change_locks_the_project_row_first(lead, project):
    """Every change takes the project's row lock before it reads the last
    number. SQLite has no row locks (the whole database is locked by a
    writer); the threaded proof below runs on PostgreSQL."""
    calls = []
    real = QuerySet.select_for_update

    def spy(qs, *args, **kwargs):
        calls.append(qs.model.__name__)
        return real(qs, *args, **kwargs)

    with mock.patch.object(QuerySet, "select_for_update", spy):
        codebook.code_save(actor=lead, project=project, data=CODE, reason="x")
    assert calls == ["Project"]


@pytest.mark.django_db(transaction=True)
def test_two_leads_saving_at_once_get_consecutive_versions(site):
    if connection.vendor != "postgresql":
        pytest.skip("a real concurrent row lock needs PostgreSQL")
    lead = analyst("lead", site)
    project = project_of(lead, site)
    first_locked, errors = threading.Event(), []

    def first() -> None:
        try:
            with transaction.atomic():
                codebook.code_save(
                    actor=lead, project=project, data=CODE, reason="first"
                )
                first_locked.set()
                time.sleep(0.5)  # the second save waits on the lock meanwhile
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            first_locked.set()
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_locked.wait(30)
    codebook.code_save(
        actor=lead, project=project, data=CODE | {"name": "Second"}, reason="second"
    )
    thread.join(30)
    assert errors == []
    assert versions(project) == [
        (1, "Project created"),
        (2, "first"),
        (3, "second"),
    ]
