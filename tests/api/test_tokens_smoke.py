"""Issue 16, the skeleton: a token reaches the API, a session does not, a
refused token is a 401 with an audit row, the docs need no CDN."""

import pytest
from django.urls import reverse
from django.utils import timezone

from api.tokens import token_create
from audit.models import AuditEvent
from core.roles import Role
from exports.models import ExportRight
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def researcher(db, site):
    user = UserFactory(username="res", roles=[Role.RESEARCH], sites=[site])
    ExportRight.objects.create(user=user, level="coded", granted_at=timezone.now())
    return user


def test_a_token_reaches_the_api_and_a_session_does_not(client, researcher, site):
    created = token_create(
        user=researcher, name="R", level="coded", site_ids=[site.pk], days=30
    )
    url = reverse("api-v1:sites")
    ok = client.get(url, HTTP_AUTHORIZATION=f"Bearer {created.plain}")
    assert ok.status_code == 200, ok.content
    assert [row["code"] for row in ok.json()] == [site.code]
    assert "Set-Cookie" not in ok.headers and not ok.cookies
    client.force_login(researcher)
    assert client.get(url).status_code == 401
    assert AuditEvent.objects.filter(action="api.request").count() == 1


def test_a_wrong_secret_is_401_and_audited_without_the_secret(client, researcher, site):
    created = token_create(
        user=researcher, name="R", level="coded", site_ids=[site.pk], days=30
    )
    wrong = created.plain[:-3] + "xyz"
    response = client.get(reverse("api-v1:sites"), HTTP_AUTHORIZATION=f"Bearer {wrong}")
    assert response.status_code == 401
    event = AuditEvent.objects.get(action="api.auth.refused")
    assert event.details["reason"] == "unknown"
    assert wrong.split("_", 2)[2] not in str(event.details)  # secrets may hold "_"


def test_the_docs_and_schema_load_from_our_own_static_files(client):
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "/static/" in html
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/sites" in schema["paths"]
