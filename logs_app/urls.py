from django.urls import path

from logs_app import views

urlpatterns = [
    path("", views.home, name="home"),
    path("week/", views.my_week, name="my_week"),
    path("logs/", views.log_list, name="log_list"),
    path("logs/new/", views.log_create, name="log_create"),
    path("logs/autosave/", views.log_autosave, name="log_autosave_new"),
    path("logs/<int:pk>/", views.log_detail, name="log_detail"),
    path("logs/<int:pk>/edit/", views.log_edit, name="log_edit"),
    path("logs/<int:pk>/autosave/", views.log_autosave, name="log_autosave"),
]
