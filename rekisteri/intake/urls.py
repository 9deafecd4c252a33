from django.urls import path

from rekisteri.intake import attention_views, views

app_name = "intake"
urlpatterns = [
    path("", views.integration_list, name="integration_list"),
    path("new/", views.integration_create, name="integration_create"),
    path("<int:integration_id>/", attention_views.integration_detail, name="integration"),
    path(
        "<int:integration_id>/invoice-methods/",
        attention_views.integration_invoice_methods,
        name="integration_invoice_methods",
    ),
    path("<int:integration_id>/secret/", views.integration_secret, name="integration_secret"),
    path("<int:integration_id>/revoke/", views.integration_revoke, name="integration_revoke"),
    # The deliveries that wait for a person (customer service).
    path("inbox/", attention_views.attention_list, name="attention_list"),
    path("inbox/<uuid:public_id>/", attention_views.delivery_detail, name="delivery"),
    path(
        "inbox/<uuid:public_id>/correct/",
        attention_views.delivery_correct,
        name="delivery_correct",
    ),
    path("inbox/<uuid:public_id>/attach/", attention_views.delivery_attach, name="delivery_attach"),
    path(
        "inbox/<uuid:public_id>/discard/",
        attention_views.delivery_discard,
        name="delivery_discard",
    ),
]
