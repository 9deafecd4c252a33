"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy import retention_views

urlpatterns: list[URLPattern] = [
    path("retention/", retention_views.retention_overview, name="retention"),
    path("retention/run/", retention_views.retention_run_now, name="retention_run"),
    path("retention/<slug:category>/", retention_views.retention_edit, name="retention_edit"),
]
