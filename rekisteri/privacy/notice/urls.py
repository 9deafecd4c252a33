"""Staff URLs of one part of the privacy app, included by privacy/urls.py: the register
description's versions and its editor (docs/privacy-notice.md)."""

from django.urls import URLPattern, path

from rekisteri.privacy.notice import views

urlpatterns: list[URLPattern] = [
    path("notice/", views.notice_versions, name="notice_versions"),
    path("notice/edit/", views.notice_edit, name="notice_edit"),
    path("notice/publish/", views.notice_publish_pending, name="notice_publish_pending"),
]
