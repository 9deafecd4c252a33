from django.urls import path

from rekisteri.credit import views

app_name = "credit"
urlpatterns = [
    path("policy/", views.credit_policy_edit, name="policy"),
]
