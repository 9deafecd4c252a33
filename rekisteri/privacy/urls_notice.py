"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
