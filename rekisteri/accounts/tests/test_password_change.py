"""Any staff member changes their own password: /accounts/password/."""

from __future__ import annotations

import pytest

from rekisteri.accounts.roles import Role
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import PASSWORD, make_staff

URL = "/accounts/password/"
NEW_PASSWORD = "Mustikkametsä-kesällä-2026"

pytestmark = pytest.mark.django_db


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "old_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_confirmation": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", [None, *Role])
def test_it_changes_the_password_audits_it_and_keeps_the_session(role):
    """Every role may change its own password; the session stays signed in."""
    user = make_staff(role)
    client = sign_in(user)

    response = client.post(URL, form_data())

    assert response.status_code == 302
    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert audit_trail() == [("update", user.pk, str(user.pk), ["password"])]
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"old_password": "arvaus-vain-123"},
            "old_password",
            "Your current password is incorrect.",
        ),
        (
            {"new_password": "1qaz2wsx3edc", "new_password_confirmation": "1qaz2wsx3edc"},
            "new_password",
            "This password is too common.",
        ),
        (
            {"new_password": "Lyhyt-ss-1", "new_password_confirmation": "Lyhyt-ss-1"},
            "new_password",
            "This password is too short. It must contain at least 12 characters.",
        ),
        (
            {"new_password_confirmation": "Mustikkametsä-kesällä-2027"},
            "new_password_confirmation",
            "The two passwords do not match.",
        ),
    ],
)
def test_a_refused_change_keeps_the_old_password(overrides, field, message):
    user = make_staff(None)
    client = sign_in(user)

    response = client.post(URL, form_data(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert audit_trail() == []


def test_it_needs_a_signed_in_user(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"
