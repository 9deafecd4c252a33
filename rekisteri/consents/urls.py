from django.urls import path

from rekisteri.consents import views

app_name = "consents"
urlpatterns = [
    path("customers/<int:customer_number>/", views.consent_record, name="record"),
]
