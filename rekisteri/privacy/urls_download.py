"""The customer's public download link of their own copy, outside the staff URLs."""

from django.urls import URLPattern, path

from rekisteri.privacy import export_views

urlpatterns: list[URLPattern] = [
    # The token comes in the query string or the form's body, never in the path.
    path("tietosuoja/lataa/", export_views.download, name="privacy_download"),
]
