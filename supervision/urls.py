from django.urls import path

from supervision import views

urlpatterns = [
    path("followups/", views.followup_list, name="followup_list"),
    path("followups/<int:pk>/", views.followup_detail, name="followup_detail"),
    path("followups/<int:pk>/start/", views.followup_start, name="followup_start"),
    path(
        "followups/<int:pk>/resolve/", views.followup_resolve, name="followup_resolve"
    ),
    path("followups/<int:pk>/reopen/", views.followup_reopen, name="followup_reopen"),
    path(
        "followups/<int:pk>/reassign/",
        views.followup_reassign,
        name="followup_reassign",
    ),
    # Moved from logs_app (issue 14): same path and name.
    path("review/agenda/", views.supervision_agenda, name="supervision_agenda"),
]
