from django.urls import path

from rekisteri.marketing import views

app_name = "marketing"
urlpatterns = [
    path("", views.target_group_list, name="list"),
    path("new/", views.target_group_create, name="create"),
    path("<int:pk>/", views.target_group_detail, name="detail"),
    path("<int:pk>/edit/", views.target_group_edit, name="edit"),
    path("<int:pk>/export/", views.target_group_export, name="export"),
]
