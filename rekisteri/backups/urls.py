from django.urls import path

from rekisteri.backups import views

app_name = "backups"
urlpatterns = [
    path("", views.backup_status_page, name="status"),
    path("progress/", views.backup_progress, name="progress"),
]
