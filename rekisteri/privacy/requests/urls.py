"""Staff URLs of the subject requests, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy.requests import views

urlpatterns: list[URLPattern] = [
    path("requests/", views.request_board, name="requests"),
    path("requests/new/", views.request_record, name="request_create"),
    path("requests/<uuid:public_id>/", views.request_detail, name="request"),
    path("requests/<uuid:public_id>/action/", views.request_action, name="request_action"),
]
