"""Signing out: POST /accounts/logout/."""

from __future__ import annotations

import pytest

from rekisteri.accounts.roles import Role
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_staff

URL = "/accounts/logout/"

pytestmark = pytest.mark.django_db


def test_it_signs_out_and_audits_it():
    """Signing out ends the session, is audited and says so on the sign-in page."""
    user = make_staff(Role.ADMINISTRATOR)
    client = sign_in(user)

    response = client.post(URL, follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "_auth_user_id" not in client.session
    assert [str(m) for m in response.context["messages"]] == ["You have signed out."]
    assert audit_trail() == [("logout", user.pk, str(user.pk), [])]
    assert client.get("/accounts/password/")["Location"].startswith("/accounts/login/")


def test_it_refuses_get():
    """A link or an image cannot sign anyone out: GET is not allowed and changes nothing."""
    user = make_staff(None)
    client = sign_in(user)

    response = client.get(URL)

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(user.pk)
    assert audit_trail() == []


def test_it_accepts_a_sign_out_from_an_already_ended_session(client):
    """Signing out after the session ran out just returns to the sign-in page, unaudited."""
    response = client.post(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert audit_trail() == []
