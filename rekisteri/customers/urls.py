from django.urls import path

from rekisteri.customers import views

app_name = "customers"
urlpatterns: list = []
