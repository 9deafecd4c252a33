from django.urls import path

from rekisteri.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.index, name="index"),
    path("pyynto/", views.request_form, name="request"),
    # The links' tokens come in the query string or a form's body, never in a path.
    path("vahvista/", views.verify, name="verify"),
    path("markkinointi/", views.consent_link, name="consent_link"),
    path("markkinointi/valinnat/", views.consents, name="consents"),
]
