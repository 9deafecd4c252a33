from django.urls import path

from rekisteri.marketing import campaign_views

urlpatterns = [
    path("unsubscribe/<str:token>/", campaign_views.unsubscribe, name="unsubscribe"),
]
