"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy import erasure_views

urlpatterns: list[URLPattern] = [
    path(
        "customers/<int:customer_number>/erasure/",
        erasure_views.customer_erasure,
        name="erase",
    ),
    path(
        "customers/<int:customer_number>/restriction/",
        erasure_views.customer_restrict,
        name="restrict",
    ),
    path(
        "customers/<int:customer_number>/restriction/lift/",
        erasure_views.customer_restriction_lift,
        name="restriction_lift",
    ),
    path(
        "customers/<int:customer_number>/legal-holds/",
        erasure_views.legal_holds,
        name="legal_hold",
    ),
    path(
        "customers/<int:customer_number>/legal-holds/<int:hold_id>/lift/",
        erasure_views.legal_hold_lift,
        name="legal_hold_lift",
    ),
]
