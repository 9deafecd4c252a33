from django.urls import path

from rekisteri.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.integration_list, name="integration_list"),
    path("new/", views.integration_create, name="integration_create"),
    path("<int:integration_id>/secret/", views.integration_secret, name="integration_secret"),
    path("<int:integration_id>/revoke/", views.integration_revoke, name="integration_revoke"),
]
