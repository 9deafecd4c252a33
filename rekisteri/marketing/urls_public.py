from django.urls import path

from rekisteri.marketing import campaign_views

urlpatterns = [
    # The token comes in the query string, which the access logs drop; mail clients
    # POST the one-click unsubscribe (RFC 8058) to the same URL.
    path("unsubscribe/", campaign_views.unsubscribe, name="unsubscribe"),
    # The links of messages sent before the token left the path: the law wants them
    # to keep working (917/2014 § 200).
    path("unsubscribe/<str:token>/", campaign_views.unsubscribe, name="unsubscribe_legacy"),
]
