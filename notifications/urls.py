from django.urls import path

from notifications import views

urlpatterns = [
    path("account/mail/", views.mail_preferences, name="mail_preferences"),
    path("unsubscribe/<uuid:token>/", views.unsubscribe, name="unsubscribe"),
]
