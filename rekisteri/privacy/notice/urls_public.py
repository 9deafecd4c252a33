"""The published privacy notice, public (no sign-in): the notice in force, its earlier
versions and what changed between two of them."""

from django.urls import URLPattern, path

from rekisteri.privacy.notice import views

urlpatterns: list[URLPattern] = [
    path("tietosuojaseloste/", views.notice, name="privacy_notice"),
    path(
        "tietosuojaseloste/versiot/",
        views.notice_versions_public,
        name="privacy_notice_versions",
    ),
    path(
        "tietosuojaseloste/versiot/<int:version>/",
        views.notice_version,
        name="privacy_notice_version",
    ),
    path(
        "tietosuojaseloste/muutokset/<int:old>/<int:new>/",
        views.notice_changes,
        name="privacy_notice_diff",
    ),
]
