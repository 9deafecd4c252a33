"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy.erasure import views

urlpatterns: list[URLPattern] = [
    path(
        "customers/<int:customer_number>/erasure/",
        views.customer_erasure,
        name="erase",
    ),
    path(
        "customers/<int:customer_number>/restriction/",
        views.customer_restrict,
        name="restrict",
    ),
    path(
        "customers/<int:customer_number>/restriction/lift/",
        views.customer_restriction_lift,
        name="restriction_lift",
    ),
]
