"""The confidentiality pledge: /accounts/pledge/ and the middleware that insists on it."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from rekisteri.accounts.models import PledgeAcceptance
from rekisteri.accounts.pledge import PLEDGE_TEXTS, PLEDGE_VERSION, pledge_digest
from rekisteri.accounts.roles import Role
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_staff

URL = "/accounts/pledge/"

pytestmark = pytest.mark.django_db


# The password change page stays open during the pledge: a password chosen by someone
# else is changed first (test_forced_password_change.py).
@pytest.mark.parametrize("path", ["/", "/customers/", "/accounts/staff/"])
def test_a_new_staff_member_is_sent_to_the_pledge_from_any_page(path):
    """Until the current pledge is accepted every page leads to it."""
    client = sign_in(make_staff(Role.ADMINISTRATOR, accepted_pledge=False))

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == (URL if path == "/" else f"{URL}?next={quote(path, safe='')}")
    assert PledgeAcceptance.objects.count() == 0


@pytest.mark.parametrize("language", ["fi", "en"])
def test_it_shows_the_pledge_in_the_current_language(language):
    """The page shows the very text of pledge.py in the language in use."""
    client = sign_in(make_staff(None, accepted_pledge=False), Client(HTTP_ACCEPT_LANGUAGE=language))
    title, paragraphs = PLEDGE_TEXTS[language]

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["title"] == title
    assert response.context["paragraphs"] == paragraphs
    assert title in response.content.decode()


@pytest.mark.parametrize("language", ["fi", "en"])
def test_accepting_records_version_language_and_digest_and_opens_the_pages(language):
    """Acceptance stores what exactly was accepted, is audited, and lets the staff member in."""
    user = make_staff(None, accepted_pledge=False)
    client = sign_in(user, Client(HTTP_ACCEPT_LANGUAGE=language))

    response = client.post(URL, {"accept": "on"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    acceptance = PledgeAcceptance.objects.get()
    assert (acceptance.user, acceptance.version, acceptance.language) == (
        user,
        PLEDGE_VERSION,
        language,
    )
    assert acceptance.text_digest == pledge_digest(language)
    assert acceptance.ip_address == "127.0.0.1"
    assert audit_trail("action", "actor_user_id", "object_type", "object_id", "reason") == [
        (
            "pledge_accept",
            user.pk,
            "accounts.pledgeacceptance",
            str(acceptance.pk),
            f"version {PLEDGE_VERSION}",
        )
    ]
    assert client.get("/accounts/password/").status_code == 200


def test_the_box_must_be_ticked():
    """Without the tick nothing is recorded and the pledge is still asked for."""
    client = sign_in(make_staff(None, accepted_pledge=False))

    response = client.post(URL, {})

    assert response.status_code == 200
    assert response.context["form"].errors == {"accept": ["Tick the box to accept the pledge."]}
    assert PledgeAcceptance.objects.count() == 0
    assert audit_trail() == []
    assert client.get("/accounts/staff/")["Location"] == f"{URL}?next=%2Faccounts%2Fstaff%2F"


def test_accepting_twice_records_once():
    """A second acceptance of the same version changes nothing."""
    user = make_staff(None)
    client = sign_in(user)

    response = client.post(URL, {"accept": "on"})

    assert response.status_code == 302
    assert PledgeAcceptance.objects.filter(user=user).count() == 1
    assert audit_trail() == []


def test_signing_out_needs_no_pledge():
    """Someone who will not accept can still sign out."""
    user = make_staff(None, accepted_pledge=False)
    client = sign_in(user)

    response = client.post("/accounts/logout/")

    assert response["Location"] == "/accounts/login/"
    assert audit_trail("action") == [("logout",)]


def test_after_accepting_the_staff_member_returns_to_the_page_first_asked_for():
    client = sign_in(make_staff(Role.CUSTOMER_SERVICE, accepted_pledge=False))
    pledge_url = client.get("/customers/?q=Virtanen")["Location"]

    response = client.post(pledge_url, {"accept": "on", "next": "/customers/?q=Virtanen"})

    assert (response.status_code, response["Location"]) == (302, "/customers/?q=Virtanen")
    assert client.post(URL, {"accept": "on", "next": "https://evil.example/"})["Location"] == "/"
