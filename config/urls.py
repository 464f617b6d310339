from django.contrib import admin
from django.urls import include, path

from config.views import healthz
from programs.views import invitation_accept_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/tokens/", include("api.urls_pages")),
    path("healthz", healthz, name="healthz"),
    path("", include("audit.urls")),
    path("", include("notifications.urls")),
    path("", include("logs_app.urls")),
    path("", include("supervision.urls")),
    path("", include("exports.urls")),
    path("analysis/", include("analysis.urls")),
    path("program/", include("programs.urls")),
    path(
        "invite/<int:pk>/<str:token>/",
        invitation_accept_view,
        name="invitation_accept",
    ),
    path("api/", include("api.urls")),
    path("", include("supervision.urls_meetings")),
]
