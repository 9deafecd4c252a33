"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy import records_views

urlpatterns: list[URLPattern] = [
    path("records/", records_views.records_page, name="records"),
    path("records/records.csv", records_views.records_csv, name="records_csv"),
    path("records/records.html", records_views.records_html, name="records_html"),
]
