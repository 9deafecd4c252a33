from django.urls import path

from rekisteri.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_upload, name="upload"),
    path("<uuid:public_id>/", views.import_detail, name="detail"),
    path("<uuid:public_id>/columns/", views.import_mapping, name="mapping"),
    path("<uuid:public_id>/check/", views.import_check, name="check"),
    path("<uuid:public_id>/run/", views.import_run, name="run"),
    path("<uuid:public_id>/discard/", views.import_discard, name="discard"),
    path("<uuid:public_id>/progress/", views.import_progress, name="progress"),
    path("<uuid:public_id>/report.csv", views.import_report, name="report"),
]
