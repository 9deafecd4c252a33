"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy.records import views

urlpatterns: list[URLPattern] = [
    path("records/", views.records_page, name="records"),
    path("records/records.csv", views.records_csv, name="records_csv"),
    path("records/records.html", views.records_html, name="records_html"),
]
