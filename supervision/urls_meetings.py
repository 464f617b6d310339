from django.urls import path

from supervision import views_meetings as views

urlpatterns = [
    path(
        "supervision/mentors/<int:mentor_pk>/meetings/",
        views.meeting_list,
        name="meeting_list",
    ),
    path(
        "supervision/mentors/<int:mentor_pk>/meetings/plan/",
        views.meeting_plan,
        name="meeting_plan",
    ),
    path("supervision/meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path(
        "supervision/meetings/<int:pk>/record/",
        views.meeting_record,
        name="meeting_record",
    ),
    path(
        "supervision/meetings/<int:pk>/actions/",
        views.meeting_action_add,
        name="meeting_action_add",
    ),
    path(
        "supervision/actions/<int:pk>/done/",
        views.meeting_action_done,
        name="meeting_action_done",
    ),
]
