"""A password someone else chose is changed at the next sign-in, before anything else
(security review finding 2); the staff member's own choice (the new password, or the one
typed into `rekisteri createadmin`) is not."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.services import user_roles
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

SET_PASSWORD = "Revontulet-loistavat-taas-9"
OWN_PASSWORD = "Kuusikko-humisee-illalla-7"
PASSWORD_PAGE = "/accounts/password/"


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def member() -> User:
    return make_staff(Role.CUSTOMER_SERVICE, username="pekka.nieminen")


def admin_sets_password(member: User) -> None:
    admin_client = sign_in(make_staff(Role.ADMINISTRATOR))
    response = admin_client.post(
        f"/accounts/staff/{member.pk}/",
        {
            "first_name": member.first_name,
            "last_name": member.last_name,
            "email": member.email,
            "roles": user_roles(member),
            "is_active": "on",
            "password": SET_PASSWORD,
            "password_confirmation": SET_PASSWORD,
        },
    )
    assert response.status_code == 302


def test_a_password_set_by_an_administrator_is_changed_before_anything_else(member):
    admin_sets_password(member)
    member.refresh_from_db()
    assert member.must_change_password is True
    client = english()
    client.post("/accounts/login/", {"username": member.username, "password": SET_PASSWORD})

    for path in ("/", "/customers/", "/accounts/two-factor/", "/accounts/pledge/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].split("?")[0] == PASSWORD_PAGE
    assert client.get("/customers/")["Location"] == f"{PASSWORD_PAGE}?next=%2Fcustomers%2F"
    page = client.get(f"{PASSWORD_PAGE}?next=%2Fcustomers%2F")
    assert page.status_code == 200
    assert b"Someone else chose your current password." in page.content

    response = client.post(
        PASSWORD_PAGE,
        {
            "old_password": SET_PASSWORD,
            "new_password": OWN_PASSWORD,
            "new_password_confirmation": OWN_PASSWORD,
            "next": "/customers/",
        },
    )

    assert (response.status_code, response["Location"]) == (302, "/customers/")
    member.refresh_from_db()
    assert member.must_change_password is False
    assert member.check_password(OWN_PASSWORD)
    assert client.get("/customers/").status_code == 200
    assert audit_trail("action", "actor_user_id", "changed_fields")[-1] == (
        "update",
        member.pk,
        ["password"],
    )


def test_signing_out_stays_possible_before_the_change(member):
    admin_sets_password(member)
    client = english()
    client.post("/accounts/login/", {"username": member.username, "password": SET_PASSWORD})

    response = client.post("/accounts/logout/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_the_password_change_comes_before_two_factor_set_up_and_the_pledge():
    """A new privacy officer-to-be: first the password, then two-factor sign-in where
    the role needs it, then the pledge."""
    user = make_staff(Role.ADMINISTRATOR, accepted_pledge=False)
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    client = english()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.get("/customers/")["Location"] == f"{PASSWORD_PAGE}?next=%2Fcustomers%2F"
    client.post(
        PASSWORD_PAGE,
        {
            "old_password": PASSWORD,
            "new_password": OWN_PASSWORD,
            "new_password_confirmation": OWN_PASSWORD,
            "next": "/customers/",
        },
    )
    assert client.get("/customers/")["Location"].startswith("/accounts/two-factor/")


def test_a_new_account_changes_its_first_password(client):
    admin_client = sign_in(make_staff(Role.ADMINISTRATOR))
    admin_client.post(
        "/accounts/staff/new/",
        {
            "username": "uusi.myyja",
            "first_name": "Ulla",
            "last_name": "Uusi",
            "email": "uusi.myyja@example.fi",
            "password": SET_PASSWORD,
            "password_confirmation": SET_PASSWORD,
            "roles": [Role.CUSTOMER_SERVICE],
        },
    )

    assert User.objects.get(username="uusi.myyja").must_change_password is True


def test_createadmin_chose_its_own_password(monkeypatch):
    monkeypatch.setenv("REKISTERI_ADMIN_PASSWORD", "Saimaannorppa-ui-2026")
    call_command(
        "createadmin",
        "--username=ville.heikkinen",
        "--email=ville.heikkinen@example.fi",
        "--first-name=Ville",
        "--last-name=Heikkinen",
        "--no-input",
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )

    assert User.objects.get(username="ville.heikkinen").must_change_password is False


def test_an_administrator_changing_their_own_password_on_the_staff_page_is_not_forced():
    administrator = make_staff(Role.ADMINISTRATOR)
    client = sign_in(administrator)
    client.post(
        f"/accounts/staff/{administrator.pk}/",
        {
            "first_name": administrator.first_name,
            "last_name": administrator.last_name,
            "email": administrator.email,
            "roles": [Role.ADMINISTRATOR],
            "is_active": "on",
            "password": OWN_PASSWORD,
            "password_confirmation": OWN_PASSWORD,
        },
    )

    administrator.refresh_from_db()
    assert administrator.check_password(OWN_PASSWORD)
    assert administrator.must_change_password is False
