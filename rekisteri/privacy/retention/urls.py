"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy.retention import views

urlpatterns: list[URLPattern] = [
    path("retention/", views.retention_overview, name="retention"),
    path("retention/run/", views.retention_run_now, name="retention_run"),
    path("retention/<slug:category>/", views.retention_edit, name="retention_edit"),
    path(
        "customers/<int:customer_number>/legal-holds/",
        views.legal_holds,
        name="legal_hold",
    ),
    path(
        "customers/<int:customer_number>/legal-holds/<int:hold_id>/lift/",
        views.legal_hold_lift,
        name="legal_hold_lift",
    ),
]
