# Same paths and names as before the move (issue 12): no namespace, so every
# {% url 'export_page' %} and reverse("export_detail", ...) stays as it was.
from django.urls import path

from exports import views

urlpatterns = [
    path("export/", views.export_page, name="export_page"),
    path("export/history/", views.export_history, name="export_history"),
    path("export/<int:pk>/", views.export_detail, name="export_detail"),
    path("export/<int:pk>/status/", views.export_status, name="export_status"),
    path("export/<int:pk>/download/", views.export_download, name="export_download"),
]
