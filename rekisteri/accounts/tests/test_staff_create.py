"""An administrator creates staff accounts: /accounts/staff/new/."""

from __future__ import annotations

import pytest

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.services import user_roles
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.testing.factories import make_staff

URL = "/accounts/staff/new/"
NEW_PASSWORD = "Lumiukko-sulaa-keväällä-7"

pytestmark = pytest.mark.django_db


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "username": "liisa.makinen",
        "first_name": "Liisa",
        "last_name": "Mäkinen",
        "email": "Liisa.Makinen@Example.fi",
        "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD,
        "roles": [Role.CUSTOMER_SERVICE, Role.MARKETING],
    }
    data.update(overrides)
    return data


def test_it_shows_an_empty_form_with_every_role(admin_client):
    """The form offers each role of roles.py as a checkbox."""
    response = admin_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for role in Role:
        assert f'value="{role.value}"' in page
    assert audit_trail() == []


def test_it_creates_a_staff_member_with_roles_and_audits_it(admin_client, administrator):
    """The account is stored with its roles and a hashed password, and the creation is
    audited with the administrator as the actor."""
    response = admin_client.post(URL, form_data())

    assert response.status_code == 302
    assert response["Location"] == "/accounts/staff/"
    created = User.objects.get(username="liisa.makinen")
    assert (created.first_name, created.last_name, created.email) == (
        "Liisa",
        "Mäkinen",
        "liisa.makinen@example.fi",
    )
    assert created.is_active is True
    assert created.check_password(NEW_PASSWORD)
    assert user_roles(created) == [Role.CUSTOMER_SERVICE, Role.MARKETING]
    assert audit_trail() == [
        (
            "create",
            administrator.pk,
            str(created.pk),
            ["email", "first_name", "last_name", "roles", "username"],
        )
    ]


def test_the_new_staff_member_can_sign_in(admin_client, client):
    """The password the administrator set works on the sign-in page."""
    admin_client.post(URL, form_data())
    response = client.post(
        "/accounts/login/", {"username": "liisa.makinen", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"password": "Lyhyt-ss-1", "password_confirmation": "Lyhyt-ss-1"},
            "password",
            "This password is too short. It must contain at least 12 characters.",
        ),
        (
            {"password": "1qaz2wsx3edc", "password_confirmation": "1qaz2wsx3edc"},
            "password",
            "This password is too common.",
        ),
        (
            {"password": "liisa.makinen1", "password_confirmation": "liisa.makinen1"},
            "password",
            "The password is too similar to the username.",
        ),
        (
            {"password_confirmation": "Lumiukko-sulaa-keväällä-8"},
            "password_confirmation",
            "The two passwords do not match.",
        ),
        ({"email": "liisa.makinen"}, "email", "Enter a valid email address."),
        ({"username": ""}, "username", "This field is required."),
        ({"roles": ["superuser"]}, "roles", None),
    ],
)
def test_invalid_input_stores_nothing(admin_client, overrides, field, message):
    """Each mistake is shown at its field and neither an account nor an event is written."""
    users_before = User.objects.count()

    response = admin_client.post(URL, form_data(**overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    if message is not None:
        assert message in errors[field]
    assert User.objects.count() == users_before
    assert not User.objects.filter(username="liisa.makinen").exists()
    assert audit_trail() == []


def test_a_taken_username_is_refused_whatever_its_case(admin_client):
    """Usernames are unique regardless of case; the existing account is left as it was."""
    existing = make_staff(None, username="liisa.makinen")
    users_before = User.objects.count()

    response = admin_client.post(URL, form_data(username="Liisa.Makinen"))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "username": ["A staff member with this username already exists."]
    }
    assert User.objects.count() == users_before
    existing.refresh_from_db()
    assert existing.email == "liisa.makinen@example.fi"
    assert audit_trail() == []
