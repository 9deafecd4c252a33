from django.urls import path

from rekisteri.orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_create_find, name="create_find"),
    path("new/customer/", views.order_create_new_caller, name="create_new_caller"),
    path("new/<int:customer_number>/", views.order_create, name="create"),
    path("<int:order_number>/", views.order_detail, name="detail"),
    path("<int:order_number>/credit-review/", views.order_credit_review, name="credit_review"),
    path("<int:order_number>/status/", views.order_status, name="status"),
    path("<int:order_number>/invoice-paid/", views.order_settle, name="settle"),
    path(
        "<int:order_number>/confirmation/",
        views.order_confirmation_send_again,
        name="confirmation_send_again",
    ),
    path("<int:order_number>/deliveries/", views.delivery_add, name="delivery_add"),
    path(
        "<int:order_number>/deliveries/<int:delivery_id>/status/",
        views.delivery_status,
        name="delivery_status",
    ),
    path("<int:order_number>/returns/", views.return_add, name="return_add"),
    path(
        "<int:order_number>/returns/<int:return_id>/status/",
        views.return_status,
        name="return_status",
    ),
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/lookup/", views.product_lookup, name="product_lookup"),
    path("products/<int:pk>/", views.product_edit, name="product_edit"),
]
