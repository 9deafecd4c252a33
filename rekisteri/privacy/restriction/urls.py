"""Staff URLs of one part of the privacy app, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy.restriction import views

urlpatterns: list[URLPattern] = [
    path("restriction/held/", views.held_change_list, name="held_changes"),
    path("restriction/held/<uuid:public_id>/", views.held_change_detail, name="held_change"),
    path(
        "restriction/deliveries/<uuid:public_id>/accept/",
        views.restricted_delivery_accept,
        name="restricted_delivery_accept",
    ),
]
