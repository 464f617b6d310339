"""The personal access token pages (issue 16), mounted under the account."""

from django.urls import path

from api import views

urlpatterns = [
    path("", views.api_token_list, name="api_token_list"),
    path("new/", views.api_token_create, name="api_token_create"),
    path("<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
