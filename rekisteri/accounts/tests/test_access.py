"""Who may open which staff-accounts page. Every URL of the app is in the matrix below."""

from __future__ import annotations

import pytest
from django.urls import URLPattern

from rekisteri.accounts import urls
from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_staff

NON_ADMINISTRATOR_ROLES = [
    None,
    Role.CUSTOMER_SERVICE,
    Role.MARKETING,
    Role.PRIVACY_OFFICER,
    Role.AUDITOR,
]

# URL name -> who may use it: "public", "signed_in" (any staff member) or a permission.
ACCESS = {
    "login": "public",
    "login_code": "public",
    "logout": "public",
    "reauthenticate": "signed_in",
    "two_factor": "signed_in",
    "sessions": "signed_in",
    "recovery_codes": "signed_in",
    # An administrator for most staff; another privacy officer for a privacy officer
    # or an auditor (services.may_set_credentials).
    "staff_two_factor_reset": "accounts.manage_staff",
    "staff_credentials": "accounts.decide_rolegrant",
    # A privacy officer; the administrator who asked, for an install's first one.
    "role_grant_decide": "accounts.decide_rolegrant",
    "pledge": "signed_in",
    "password_change": "signed_in",
    "staff_list": "accounts.manage_staff",
    "staff_create": "accounts.manage_staff",
    "staff_edit": "accounts.manage_staff",
}

pytestmark = pytest.mark.django_db


def test_every_url_of_the_app_has_an_access_rule():
    """A new page cannot be added without deciding who may use it."""
    names = {pattern.name for pattern in urls.urlpatterns if isinstance(pattern, URLPattern)}
    assert names == set(ACCESS)


def staff_requests(target: User) -> list[tuple[str, str, dict[str, object]]]:
    password = "Tunturi-puro-virtaa-55"
    return [
        ("get", "/accounts/staff/", {}),
        ("get", "/accounts/staff/new/", {}),
        (
            "post",
            "/accounts/staff/new/",
            {
                "username": "tunkeilija",
                "first_name": "Tuomas",
                "last_name": "Salo",
                "email": "tuomas.salo@example.fi",
                "password": password,
                "password_confirmation": password,
                "roles": [Role.ADMINISTRATOR],
            },
        ),
        ("get", f"/accounts/staff/{target.pk}/", {}),
        ("post", f"/accounts/staff/{target.pk}/two-factor-reset/", {}),
        (
            "post",
            f"/accounts/staff/{target.pk}/",
            {
                "first_name": "Muutettu",
                "last_name": target.last_name,
                "email": target.email,
                "roles": [Role.ADMINISTRATOR],
                "password": password,
                "password_confirmation": password,
            },
        ),
    ]


@pytest.mark.parametrize("role", NON_ADMINISTRATOR_ROLES)
def test_staff_pages_are_refused_to_every_other_role_audited_and_unchanged(role):
    """Each non-administrator role gets 403 on each staff page, every refusal is audited,
    and nothing is created or changed."""
    user = make_staff(role)
    target = make_staff(Role.CUSTOMER_SERVICE, first_name="Alkuperäinen")
    client = sign_in(user)
    users_before = User.objects.count()

    requests = staff_requests(target)
    statuses = [getattr(client, method)(path, data).status_code for method, path, data in requests]

    assert statuses == [403] * len(requests)
    assert User.objects.count() == users_before
    assert not User.objects.filter(username="tunkeilija").exists()
    target.refresh_from_db()
    assert target.first_name == "Alkuperäinen"
    assert target.is_active is True
    assert list(target.groups.values_list("name", flat=True)) == [Role.CUSTOMER_SERVICE]
    assert audit_trail("action", "actor_user_id", "object_type", "object_id") == [
        ("permission_denied", user.pk, "url", path) for _method, path, _data in requests
    ]


@pytest.mark.parametrize("name", ["pledge", "password_change", "staff_list", "staff_create"])
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    path = {
        "pledge": "/accounts/pledge/",
        "password_change": "/accounts/password/",
        "staff_list": "/accounts/staff/",
        "staff_create": "/accounts/staff/new/",
    }[name]
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
    assert audit_trail() == []


def test_anonymous_visitors_cannot_reach_an_edit_page(client):
    target = make_staff(None)
    response = client.post(f"/accounts/staff/{target.pk}/", {"first_name": "X"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    target.refresh_from_db()
    assert target.first_name != "X"
