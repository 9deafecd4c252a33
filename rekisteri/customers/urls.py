from django.urls import path

from rekisteri.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("search/", views.customer_search, name="search"),
    path("new/", views.customer_create, name="create"),
    path("<int:customer_number>/", views.customer_detail, name="detail"),
    path("<int:customer_number>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_number>/identity-code/", views.customer_reveal, name="reveal"),
    path("duplicates/", views.customer_duplicates, name="duplicates"),
    path("<int:customer_number>/merge/", views.customer_merge_start, name="merge_start"),
    path("merge/<int:kept_number>/<int:other_number>/", views.customer_merge, name="merge"),
]
