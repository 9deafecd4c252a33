from django.urls import path

from rekisteri.accounts import views

app_name = "accounts"
urlpatterns: list = []
