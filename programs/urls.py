from django.urls import path

from programs import views

urlpatterns = [
    path("imports/", views.import_page, name="import_page"),
    path(
        "imports/template.<fmt>",
        views.import_template,
        name="import_template",
    ),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/apply/", views.import_apply_view, name="import_apply"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path(
        "invitations/<int:pk>/<action>/",
        views.invitation_act,
        name="invitation_act",
    ),
    path("participants/", views.participant_list, name="program_participants"),
    path(
        "participants/<int:pk>/",
        views.participant_lifecycle,
        name="participant_lifecycle",
    ),
]
