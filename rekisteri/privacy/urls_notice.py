"""Staff URLs of one part of the privacy app, included by privacy/urls.py: the register
description's versions and its editor (docs/privacy-notice.md)."""

from django.urls import URLPattern, path

from rekisteri.privacy import notice_views

urlpatterns: list[URLPattern] = [
    path("notice/", notice_views.notice_versions, name="notice_versions"),
    path("notice/edit/", notice_views.notice_edit, name="notice_edit"),
]
