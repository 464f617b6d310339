from django.urls import path

from logs_app import (
    views,
    views_dashboard,
    views_participant,
    views_review,
    views_sync,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("week/", views.my_week, name="my_week"),
    path("logs/", views.log_list, name="log_list"),
    path("logs/new/", views.log_create, name="log_create"),
    path("logs/autosave/", views.log_autosave, name="log_autosave_new"),
    # The offline app (issue 13): outbox sync, app shell, worker, manifest
    path("logs/sync/", views_sync.log_sync, name="log_sync"),
    path("offline/", views_sync.offline_shell, name="offline_shell"),
    path("sw.js", views_sync.service_worker, name="service_worker"),
    path("manifest.webmanifest", views_sync.manifest, name="manifest"),
    path("logs/<int:pk>/", views.log_detail, name="log_detail"),
    path("logs/<int:pk>/edit/", views.log_edit, name="log_edit"),
    path("logs/<int:pk>/autosave/", views.log_autosave, name="log_autosave"),
    # Supervision: review and feedback
    path("review/", views_review.review_queue, name="review_queue"),
    path("review/bulk/", views_review.review_bulk, name="review_bulk"),
    path("logs/<int:pk>/review/", views_review.log_review, name="log_review"),
    path(
        "logs/<int:pk>/comments/", views_review.log_comment_add, name="log_comment_add"
    ),
    path("logs/<int:pk>/void/", views_review.log_void, name="log_void"),
    path(
        "logs/<int:pk>/acknowledge/",
        views_review.feedback_acknowledge,
        name="feedback_acknowledge",
    ),
    # Supervision: dashboards
    path("team/", views_dashboard.team_week, name="team_week"),
    path("team/roles/", views_dashboard.role_mix, name="role_mix"),
    path("team/gaps/", views_dashboard.engagement_gaps, name="engagement_gaps"),
    path("team/reflections/", views_dashboard.reflections, name="team_reflections"),
    # Participant progress
    path(
        "participants/<int:pk>/",
        views_participant.participant_detail,
        name="participant_detail",
    ),
]
