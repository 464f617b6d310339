"""Screening and coding routes (issue 15); included under /analysis/."""

from django.urls import path

from analysis import views_coding as v

urlpatterns = [
    path("<int:pk>/screen/", v.screen, name="analysis_screen"),
    path(
        "<int:pk>/screen/disagreements/",
        v.screen_settle,
        name="analysis_screen_settle",
    ),
    path("<int:pk>/code/", v.code_next, name="analysis_code"),
    path("<int:pk>/code/<int:text_pk>/", v.code_text, name="analysis_code_text"),
    path(
        "<int:pk>/code/<int:text_pk>/passages/",
        v.passage_add,
        name="analysis_passage_add",
    ),
    path(
        "<int:pk>/code/<int:text_pk>/codings/<int:coding_pk>/delete/",
        v.coding_delete,
        name="analysis_coding_delete",
    ),
    path("<int:pk>/code/<int:text_pk>/memo/", v.memo_save, name="analysis_memo_save"),
    path(
        "<int:pk>/code/<int:text_pk>/finish/",
        v.code_finish,
        name="analysis_code_finish",
    ),
    path(
        "<int:pk>/code/<int:text_pk>/reopen/",
        v.code_reopen,
        name="analysis_code_reopen",
    ),
]
