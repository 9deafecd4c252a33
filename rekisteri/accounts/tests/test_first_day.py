"""The first day of a new staff member on a fresh install, with nothing done in advance:
the steps before any other page come one after the other (changing a password someone
else chose, setting up two-factor sign-in where the role needs it, the pledge) and then
the page first asked for, never a redirect loop."""

from __future__ import annotations

import html
import re
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client
from django.test.client import RequestFactory
from django.urls import resolve
from django.utils import translation

from rekisteri.accounts import twofactor
from rekisteri.accounts.middleware import _step_url
from rekisteri.accounts.models import Authenticator, PledgeAcceptance, User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.tests.authenticators import enrolled, shown_key
from rekisteri.testing.auth import english_client, sign_in
from rekisteri.testing.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_PASSWORD = "Saimaannorppa-ui-2026"
OWN_PASSWORD = "Kuusi-palaa-kynttilää-2026"
HOPS = 4  # redirects between two steps; more means a loop


def follow(client: Client, response):
    """Follows redirects, at most HOPS of them: a loop fails here."""
    for _hop in range(HOPS):
        if response.status_code != 302:
            return response
        response = client.get(response["Location"])
    pytest.fail(f"more than {HOPS} redirects in a row, ending at {response['Location']}")


KEYS: dict[str, twofactor.Enrollment] = {}  # the key each person put into their app


def first_day(client: Client, username: str, password: str, page: str) -> list[str]:
    """Signs in asking for `page`, takes every step shown the way a person does, and
    returns the steps in order; fails unless it ends on `page` itself."""
    response = follow(
        client, client.post(LOGIN, {"username": username, "password": password, "next": page})
    )
    user = User.objects.get(username=username)
    steps: list[str] = []
    for _step in range(6):
        assert response.status_code == 200, response.status_code
        view = response.resolver_match.view_name
        if view == "accounts:password_change":
            steps.append("password")
            data = {
                "old_password": password,
                "new_password": OWN_PASSWORD,
                "new_password_confirmation": OWN_PASSWORD,
                "next": response.context["next"],
            }
            response = follow(client, client.post("/accounts/password/", data))
        elif view == "accounts:two_factor" and "codes" not in response.context:
            steps.append("two_factor")
            key = KEYS[username] = shown_key(user, response.content)
            url = response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"]
            response = client.post(url, {"code": twofactor.current_code(key)})
        elif view == "accounts:two_factor":
            steps.append("recovery_codes")
            assert len(response.context["codes"]) == 10
            found = re.search(
                r'<a class="button primary" href="([^"]*)"', response.content.decode()
            )
            assert found is not None
            response = follow(client, client.get(html.unescape(found.group(1))))
        elif view == "accounts:login_code":
            steps.append("code")
            data = {"code": twofactor.current_code(KEYS[username], steps_ahead=1), "next": page}
            response = follow(client, client.post("/accounts/login/code/", data))
        elif view == "accounts:pledge":
            steps.append("pledge")
            data = {"accept": "on", "next": response.context["next"]}
            response = follow(client, client.post("/accounts/pledge/", data))
        else:
            assert response.request["PATH_INFO"] == page
            return steps
    pytest.fail(f"the steps never ended: {steps}")


def createadmin(monkeypatch: pytest.MonkeyPatch, username: str) -> User:
    monkeypatch.setenv("REKISTERI_ADMIN_PASSWORD", ADMIN_PASSWORD)
    with translation.override("en"):
        call_command(
            "createadmin",
            f"--username={username}",
            f"--email={username}@example.fi",
            "--first-name=Ville",
            "--last-name=Heikkinen",
            "--no-input",
            stdout=StringIO(),
        )
    return User.objects.get(username=username)


def test_the_first_administrator_sets_up_two_factor_then_the_pledge_then_sees_the_page(
    monkeypatch,
):
    user = createadmin(monkeypatch, "pomo")
    client = english_client()

    steps = first_day(client, "pomo", ADMIN_PASSWORD, "/accounts/staff/")

    assert steps == ["two_factor", "recovery_codes", "pledge"]
    assert Authenticator.objects.filter(user=user).count() == 1
    assert PledgeAcceptance.objects.filter(user=user).count() == 1
    assert client.get("/accounts/staff/").status_code == 200
    # Signing in again asks only for the code.
    client.post("/accounts/logout/")
    assert first_day(client, "pomo", ADMIN_PASSWORD, "/accounts/staff/") == ["code"]


def test_the_first_page_asked_for_is_kept_from_before_signing_in(monkeypatch):
    createadmin(monkeypatch, "pomo")
    client = english_client()
    assert client.get("/accounts/staff/")["Location"] == f"{LOGIN}?next=/accounts/staff/"

    steps = first_day(client, "pomo", ADMIN_PASSWORD, "/accounts/staff/")

    assert steps == ["two_factor", "recovery_codes", "pledge"]


@pytest.mark.parametrize(
    ("role", "page", "expected"),
    [
        (Role.ADMINISTRATOR, "/accounts/staff/", ["two_factor", "recovery_codes", "pledge"]),
        (Role.CUSTOMER_SERVICE, "/customers/", ["pledge"]),
    ],
)
def test_a_staff_member_made_on_the_staff_page_gets_in_on_the_first_day(role, page, expected):
    admin_client = sign_in(make_staff(Role.ADMINISTRATOR))
    chosen = "Lumiukko-sulaa-keväällä-7"
    created = admin_client.post(
        "/accounts/staff/new/",
        {
            "username": "liisa.makinen",
            "first_name": "Liisa",
            "last_name": "Mäkinen",
            "email": "liisa.makinen@example.fi",
            "password": chosen,
            "password_confirmation": chosen,
            "roles": [role],
        },
    )
    assert created.status_code == 302
    user = User.objects.get(username="liisa.makinen")
    assert not PledgeAcceptance.objects.filter(user=user).exists()

    steps = first_day(english_client(), "liisa.makinen", chosen, page)

    # A password the administrator chose is changed first, where that is asked.
    assert [step for step in steps if step != "password"] == expected
    assert steps.index("password") == 0 if "password" in steps else True
    assert PledgeAcceptance.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "http://testserver.evil/x"]
)
def test_only_a_page_of_this_site_is_carried_through_the_steps(target):
    request = RequestFactory().get("/accounts/pledge/", {"next": target})
    request.resolver_match = resolve("/accounts/pledge/")

    url = _step_url("accounts:two_factor", request)

    assert url == "/accounts/two-factor/"
    safe = RequestFactory().get("/accounts/pledge/", {"next": "/customers/?q=a"})
    assert _step_url("accounts:two_factor", safe) == "/accounts/two-factor/?" + urlencode(
        {"next": "/customers/?q=a"}
    )


def test_after_a_two_factor_reset_and_a_new_pledge_version_both_come_before_the_page():
    user, _device, _codes = enrolled(Role.ADMINISTRATOR)
    KEYS.pop(user.username, None)
    admin_client = sign_in(make_staff(Role.ADMINISTRATOR))
    reset = admin_client.post(f"/accounts/staff/{user.pk}/two-factor-reset/")
    assert reset.status_code == 302
    assert not Authenticator.objects.filter(user=user).exists()
    # A new pledge version is in force: the one accepted earlier no longer counts.
    PledgeAcceptance.objects.filter(user=user).update(version="2020-01")

    steps = first_day(english_client(), user.username, PASSWORD, "/accounts/staff/")

    assert steps == ["two_factor", "recovery_codes", "pledge"]
    assert Authenticator.objects.filter(user=user).count() == 1
