"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy import export_views

urlpatterns: list[URLPattern] = [
    path("disclosures/", export_views.disclosure_register, name="disclosures"),
    path("disclosures/authority/", export_views.authority_export, name="authority_export"),
    path(
        "requests/<uuid:public_id>/hand-over/",
        export_views.access_handover,
        name="access_handover",
    ),
]
