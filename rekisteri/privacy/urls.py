from django.urls import path

from rekisteri.privacy import urls_erasure, urls_export, urls_retention, views

app_name = "privacy"
urlpatterns = [
    path("requests/", views.request_board, name="requests"),
    *urls_erasure.urlpatterns,
    *urls_export.urlpatterns,
    *urls_retention.urlpatterns,
]
