from django.urls import include, path

from analysis import views, views_agreement, views_refi

urlpatterns = [
    path("", views.project_list, name="analysis_projects"),
    path("new/", views.project_create, name="analysis_project_create"),
    path("<int:pk>/", views.project_detail, name="analysis_project"),
    path("<int:pk>/texts/add/", views.project_texts_add, name="analysis_texts_add"),
    path("<int:pk>/members/", views.project_member_set, name="analysis_member_set"),
    path("<int:pk>/agreement/", views_agreement.agreement, name="analysis_agreement"),
    path("<int:pk>/export.qdpx", views_refi.project_qdpx, name="analysis_qdpx"),
    path("<int:pk>/codebook.qdc", views_refi.codebook_qdc, name="analysis_qdc"),
    path(
        "<int:pk>/codebook/import/",
        views_refi.codebook_qdc_import,
        name="analysis_qdc_import",
    ),
    # Each part of the work has its own routes (issue 15).
    path("", include("analysis.urls_coding")),
    path("", include("analysis.urls_codebook")),
]
