"""The published privacy notice, public (no sign-in)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
