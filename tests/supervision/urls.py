"""The project's URLs plus a stand-in for the item page (`followup_detail`),
which the "itempages" part of issue 14 builds: the escalation mail links to
it. Used only while that page is not there (tests/supervision/conftest.py)."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path(
        "followups/<int:pk>/",
        lambda request, pk: HttpResponse(),
        name="followup_detail",
    ),
]
