from django.urls import path

from rekisteri.privacy import (
    urls_breach,
    urls_erasure,
    urls_export,
    urls_notice,
    urls_records,
    urls_retention,
    views,
)

app_name = "privacy"
urlpatterns = [
    path("requests/", views.request_board, name="requests"),
    path("requests/new/", views.request_record, name="request_create"),
    path("requests/<uuid:public_id>/", views.request_detail, name="request"),
    path("requests/<uuid:public_id>/action/", views.request_action, name="request_action"),
    *urls_erasure.urlpatterns,
    *urls_export.urlpatterns,
    *urls_retention.urlpatterns,
    *urls_notice.urlpatterns,
    *urls_records.urlpatterns,
    *urls_breach.urlpatterns,
]
