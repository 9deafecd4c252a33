from django.urls import path

from rekisteri.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.index, name="index"),
    path("pyynto/", views.request_form, name="request"),
    path("vahvista/<str:token>/", views.verify, name="verify"),
    path("markkinointi/", views.consent_link, name="consent_link"),
    path("markkinointi/<str:token>/", views.consents, name="consents"),
]
