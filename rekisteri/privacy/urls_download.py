"""The customer's public download link of their own copy, outside the staff URLs."""

from django.urls import URLPattern, path

from rekisteri.privacy import export_views

urlpatterns: list[URLPattern] = [
    path("tietosuoja/lataa/<uuid:public_id>/", export_views.download, name="privacy_download"),
]
