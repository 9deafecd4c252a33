from django.urls import path

from rekisteri.marketing import address_list_views, campaign_views, post_views, views

app_name = "marketing"
urlpatterns = [
    path("", views.target_group_list, name="list"),
    path("new/", views.target_group_create, name="create"),
    path("<int:pk>/", views.target_group_detail, name="detail"),
    path("<int:pk>/edit/", views.target_group_edit, name="edit"),
    path("<int:pk>/export/", address_list_views.target_group_export, name="export"),
    path("<int:pk>/labels/", address_list_views.target_group_labels, name="labels"),
    path("files/<uuid:public_id>/", address_list_views.address_list_detail, name="address_list"),
    path(
        "files/<uuid:public_id>/progress/",
        address_list_views.address_list_progress,
        name="address_list_progress",
    ),
    path(
        "files/<uuid:public_id>/download/",
        address_list_views.address_list_download,
        name="address_list_download",
    ),
    path("restrictions/", post_views.restriction_lists, name="restrictions"),
    path("restrictions/import/", post_views.restriction_list_import, name="restriction_import"),
    path("campaigns/", campaign_views.campaign_list, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", campaign_views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/send/", campaign_views.campaign_send, name="campaign_send"),
    path(
        "campaigns/<int:pk>/progress/", campaign_views.campaign_progress, name="campaign_progress"
    ),
]
