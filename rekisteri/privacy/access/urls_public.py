"""The customer's public download link of their own copy, outside the staff URLs."""

from django.urls import URLPattern, path

from rekisteri.privacy.access import views

urlpatterns: list[URLPattern] = [
    # The token comes in the query string or the form's body, never in the path.
    path("tietosuoja/lataa/", views.download, name="privacy_download"),
]
