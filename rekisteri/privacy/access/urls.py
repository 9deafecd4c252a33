"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy.access import views

urlpatterns: list[URLPattern] = [
    path("disclosures/", views.disclosure_register, name="disclosures"),
    path("disclosures/authority/", views.authority_export, name="authority_export"),
    path(
        "requests/<uuid:public_id>/hand-over/",
        views.access_handover,
        name="access_handover",
    ),
    path(
        "requests/<uuid:public_id>/copy/",
        views.access_copy_prepare,
        name="access_copy_prepare",
    ),
    path(
        "requests/<uuid:public_id>/copy/<uuid:copy_id>/progress/",
        views.access_copy_progress,
        name="access_copy_progress",
    ),
]
