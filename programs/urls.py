from django.urls import path

from programs import views, views_cohorts, views_dose, views_erasure

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
        "participants/<int:pk>/assign/",
        views.participant_assign,
        name="participant_assign",
    ),
    path(
        "assignments/<int:pk>/end/",
        views.assignment_end_view,
        name="assignment_end",
    ),
    path("caseloads/", views.caseload_list, name="caseload_list"),
    path(
        "caseloads/<int:pk>/limit/",
        views_cohorts.caseload_limit,
        name="caseload_limit",
    ),
    path("cohorts/", views_cohorts.cohort_list, name="cohort_list"),
    path("cohorts/<int:pk>/", views_cohorts.cohort_edit, name="cohort_edit"),
    path("dose/", views_dose.dose_report_page, name="dose_report"),
    path("dose.csv", views_dose.dose_report_download, name="dose_report_csv"),
    path(
        "participants/<int:pk>/",
        views.participant_lifecycle,
        name="participant_lifecycle",
    ),
    path(
        "participants/<int:pk>/erase/",
        views_erasure.participant_erase_view,
        name="participant_erase",
    ),
]
