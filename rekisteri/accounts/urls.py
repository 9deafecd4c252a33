from django.urls import path

from rekisteri.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout, name="logout"),
    path("confirm/", views.reauthenticate, name="reauthenticate"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("sessions/", views.sessions, name="sessions"),
    path("pledge/", views.pledge, name="pledge"),
    path("password/", views.password_change, name="password_change"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:user_id>/", views.staff_edit, name="staff_edit"),
    path("staff/<int:user_id>/credentials/", views.staff_credentials, name="staff_credentials"),
    path("role-grants/<int:grant_id>/", views.role_grant_decide, name="role_grant_decide"),
    path(
        "staff/<int:user_id>/two-factor-reset/",
        views.staff_two_factor_reset,
        name="staff_two_factor_reset",
    ),
]
