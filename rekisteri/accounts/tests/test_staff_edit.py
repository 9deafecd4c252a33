"""An administrator changes a staff account: /accounts/staff/<id>/."""

from __future__ import annotations

import pytest

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.services import user_roles
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.testing.factories import PASSWORD, make_staff

NEW_PASSWORD = "Revontulet-loistavat-taas-9"

pytestmark = pytest.mark.django_db


def url(user: User) -> str:
    return f"/accounts/staff/{user.pk}/"


def form_data(user: User, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "roles": user_roles(user),
        "is_active": "on" if user.is_active else "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value != ""}


@pytest.fixture
def member() -> User:
    return make_staff(
        Role.CUSTOMER_SERVICE,
        username="pekka.nieminen",
        first_name="Pekka",
        last_name="Nieminen",
        email="pekka.nieminen@example.fi",
    )


def test_it_shows_the_current_details(admin_client, member):
    """The form starts from the stored names, email, roles and state."""
    response = admin_client.get(url(member))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["first_name"].value() == "Pekka"
    assert form["roles"].value() == [Role.CUSTOMER_SERVICE]
    assert form["is_active"].value() is True
    assert audit_trail() == []


def test_an_unknown_staff_member_is_not_found(admin_client):
    response = admin_client.get("/accounts/staff/987654/")
    assert response.status_code == 404
    assert admin_client.post("/accounts/staff/987654/", {}).status_code == 404


def test_it_changes_names_email_and_roles_and_audits_which(admin_client, administrator, member):
    """Only the changed fields are named in the audit event, never their values."""
    response = admin_client.post(
        url(member),
        form_data(
            member,
            first_name="Pekka-Juhani",
            email="PJ.Nieminen@example.fi",
            # The privacy officer's and auditor's roles await a privacy officer's
            # confirmation instead: test_separation_of_duties.py.
            roles=[Role.MARKETING, Role.ADMINISTRATOR],
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/staff/"
    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.email) == (
        "Pekka-Juhani",
        "Nieminen",
        "pj.nieminen@example.fi",
    )
    assert user_roles(member) == [Role.MARKETING, Role.ADMINISTRATOR]
    assert member.check_password(PASSWORD)
    assert audit_trail() == [
        ("update", administrator.pk, str(member.pk), ["email", "first_name", "roles"])
    ]


def test_it_deactivates_and_reactivates(admin_client, administrator, member, client):
    """A deactivated account cannot sign in; reactivated, it can again."""
    admin_client.post(url(member), form_data(member, is_active=""))
    member.refresh_from_db()
    assert member.is_active is False
    refused = client.post("/accounts/login/", {"username": member.username, "password": PASSWORD})
    assert refused.status_code == 200

    admin_client.post(url(member), form_data(member, is_active="on"))
    member.refresh_from_db()
    assert member.is_active is True
    assert audit_trail("action", "actor_user_id", "object_id", "changed_fields") == [
        ("update", administrator.pk, str(member.pk), ["is_active"]),
        ("login_failure", None, str(member.pk), []),
        ("update", administrator.pk, str(member.pk), ["is_active"]),
    ]


def test_it_sets_a_new_password(admin_client, administrator, member):
    """A new password replaces the old one, audited by name only."""
    response = admin_client.post(
        url(member),
        form_data(member, password=NEW_PASSWORD, password_confirmation=NEW_PASSWORD),
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert not member.check_password(PASSWORD)
    assert audit_trail() == [("update", administrator.pk, str(member.pk), ["password"])]


def test_saving_without_changes_writes_no_event(admin_client, member):
    response = admin_client.post(url(member), form_data(member))
    assert response.status_code == 302
    assert audit_trail() == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Lyhyt-ss-1", "This password is too short. It must contain at least 12 characters."),
        ("1qaz2wsx3edc", "This password is too common."),
        ("pekka.nieminen", "The password is too similar to the username."),
    ],
)
def test_a_weak_password_leaves_everything_unchanged(admin_client, member, password, message):
    """The other changes in the same form are not saved either: all or nothing."""
    response = admin_client.post(
        url(member),
        form_data(
            member,
            first_name="Pentti",
            roles=[Role.ADMINISTRATOR],
            password=password,
            password_confirmation=password,
        ),
    )

    assert response.status_code == 200
    assert message in response.context["form"].errors["password"]
    member.refresh_from_db()
    assert member.first_name == "Pekka"
    assert user_roles(member) == [Role.CUSTOMER_SERVICE]
    assert member.check_password(PASSWORD)
    assert audit_trail() == []


def test_an_invalid_email_changes_nothing(admin_client, member):
    response = admin_client.post(url(member), form_data(member, email="pekka@", first_name="P"))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    member.refresh_from_db()
    assert (member.first_name, member.email) == ("Pekka", "pekka.nieminen@example.fi")
    assert audit_trail() == []


def test_administrators_cannot_deactivate_themselves(admin_client, administrator):
    """Otherwise the last administrator could lock everyone out of staff management."""
    response = admin_client.post(url(administrator), form_data(administrator, is_active=""))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "is_active": ["You cannot deactivate your own account."]
    }
    administrator.refresh_from_db()
    assert administrator.is_active is True
    assert audit_trail() == []


def test_administrators_cannot_take_away_their_own_administrator_role(admin_client, administrator):
    response = admin_client.post(url(administrator), form_data(administrator, roles=[Role.AUDITOR]))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "roles": ["You cannot remove the administrator role from yourself."]
    }
    assert user_roles(administrator) == [Role.ADMINISTRATOR]
    assert audit_trail() == []
