"""Routes of the codebook, consensus, themes and CSV exports (issue 15);
included under the project routes, so `pk` is always the project."""

from django.urls import path

from analysis import views_codebook as cb
from analysis import views_consensus as cs

urlpatterns = [
    path("<int:pk>/codebook/", cb.codebook_detail, name="analysis_codebook"),
    path(
        "<int:pk>/codebook/history/",
        cb.codebook_history,
        name="analysis_codebook_history",
    ),
    path("<int:pk>/codebook/codes/new/", cb.code_create, name="analysis_code_create"),
    path(
        "<int:pk>/codebook/codes/<int:code_pk>/",
        cb.code_edit,
        name="analysis_code_edit",
    ),
    path(
        "<int:pk>/codebook/codes/<int:code_pk>/retire/",
        cb.code_retire,
        name="analysis_code_retire",
    ),
    path(
        "<int:pk>/codebook/categories/new/",
        cb.category_create,
        name="analysis_category_create",
    ),
    path(
        "<int:pk>/codebook/categories/<int:category_pk>/",
        cb.category_edit,
        name="analysis_category_edit",
    ),
    path("<int:pk>/codebook/order/", cb.codebook_reorder, name="analysis_code_reorder"),
    path(
        "<int:pk>/codebook/codes/<int:code_pk>/memo/",
        cb.code_memo,
        name="analysis_code_memo",
    ),
    path(
        "<int:pk>/export/codings-long.csv",
        cb.export_csv,
        {"kind": "long"},
        name="analysis_export_long",
    ),
    path(
        "<int:pk>/export/codes-wide.csv",
        cb.export_csv,
        {"kind": "wide"},
        name="analysis_export_wide",
    ),
    path(
        "<int:pk>/export/codebook.csv",
        cb.export_csv,
        {"kind": "codebook"},
        name="analysis_export_codebook",
    ),
    path(
        "<int:pk>/disagreements/",
        cs.disagreement_list,
        name="analysis_disagreements",
    ),
    path(
        "<int:pk>/disagreements/<int:text_pk>/<int:code_pk>/",
        cs.consensus_settle,
        name="analysis_settle",
    ),
    path("<int:pk>/themes/", cs.theme_summary, name="analysis_themes"),
    path(
        "<int:pk>/texts/<int:text_pk>/quote/",
        cs.quote_add,
        name="analysis_quote_add",
    ),
    path(
        "<int:pk>/quotes/<int:quote_pk>/remove/",
        cs.quote_remove,
        name="analysis_quote_remove",
    ),
]
