"""Staff URLs of the breach register, included by privacy/urls.py."""

from django.urls import URLPattern, path

from rekisteri.privacy.breaches import views

urlpatterns: list[URLPattern] = [
    path("breaches/", views.breach_list, name="breaches"),
    path("breaches/new/", views.breach_create, name="breach_create"),
    path("breaches/<uuid:public_id>/", views.breach_detail, name="breach"),
    path("breaches/<uuid:public_id>/edit/", views.breach_edit, name="breach_edit"),
    path("breaches/<uuid:public_id>/decide/", views.breach_decide, name="breach_decide"),
    path(
        "breaches/<uuid:public_id>/authority/",
        views.breach_authority_notified,
        name="breach_authority_notified",
    ),
    path(
        "breaches/<uuid:public_id>/people/",
        views.breach_subjects_add,
        name="breach_subjects_add",
    ),
    path("breaches/<uuid:public_id>/notice/", views.breach_notice, name="breach_notice"),
    path(
        "breaches/<uuid:public_id>/notice/send/",
        views.breach_notices_send,
        name="breach_notices_send",
    ),
]
