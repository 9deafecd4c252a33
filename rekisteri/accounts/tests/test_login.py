"""Signing in: /accounts/login/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.accounts.session_keys import SESSION_LOGIN_AT
from rekisteri.accounts.tests.audit_trail import audit_trail
from rekisteri.audit.models import ActorType, AuditEvent, RefusalTally
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import PASSWORD, make_staff

URL = "/accounts/login/"
GENERIC_ERROR = ["Incorrect username or password."]

pytestmark = pytest.mark.django_db


def post_login(client: Client, username: str, password: str, **extra: str):
    return client.post(URL, {"username": username, "password": password, **extra})


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_it_shows_the_form_to_anyone(client):
    """The sign-in page is public and sets nothing in the audit log."""
    response = client.get(URL)
    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert audit_trail() == []


def test_it_signs_in_audits_and_records_the_login_time(client):
    """The right password signs in, stores the login time in the session and is audited."""
    user = make_staff(Role.ADMINISTRATOR)
    before = timezone.now().timestamp()

    response = post_login(client, user.username, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(user.pk)
    assert before <= client.session[SESSION_LOGIN_AT] <= timezone.now().timestamp()
    user.refresh_from_db()
    assert user.last_login is not None
    assert audit_trail() == [("login", user.pk, str(user.pk), [])]
    event = AuditEvent.objects.get()
    assert (event.actor_type, event.actor_label, event.object_type, event.ip_address) == (
        ActorType.STAFF,
        user.username,
        "accounts.user",
        "127.0.0.1",
    )


def test_it_returns_to_the_page_asked_for(client):
    """A safe ?next sends the staff member back where they were going."""
    user = make_staff(None)
    response = post_login(client, user.username, PASSWORD, next="/accounts/password/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"


@pytest.mark.parametrize(
    "next_url", ["https://attacker.example.com/", "//attacker.example.com/", "javascript:alert(1)"]
)
def test_it_ignores_a_next_that_leaves_the_site(client, next_url):
    """An off-site ?next is replaced by the front page."""
    user = make_staff(None)
    response = client.post(
        f"{URL}?next={next_url}", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_it_refuses_a_wrong_password_and_audits_it(client):
    """A wrong password gets the generic error and a login_failure event naming the account."""
    user = make_staff(None)

    response = post_login(client, user.username, "väärä-salasana-123")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == GENERIC_ERROR
    assert signed_in_user_id(client) is None
    assert audit_trail("action", "actor_type", "actor_user_id", "actor_label", "object_id") == [
        ("login_failure", ActorType.ANONYMOUS, None, user.username, str(user.pk))
    ]


def test_it_does_not_store_the_name_typed_for_an_unknown_account(client):
    """A name that is no account (perhaps a mistyped password) is never written to the log."""
    typed = "Kissa-istuu-puussa-42"

    response = post_login(client, typed, PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == GENERIC_ERROR
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_user, event.actor_label) == ("login_failure", None, "")
    assert (event.object_type, event.object_id, event.reason) == ("", "", "")


def test_it_says_the_same_for_an_unknown_account_and_a_wrong_password(client):
    """The error never tells whether the username exists."""
    user = make_staff(None)
    wrong_password = post_login(client, user.username, "väärä-salasana-123")
    unknown_account = post_login(client, "ei.ole.olemassa", "väärä-salasana-123")
    assert wrong_password.context["form"].non_field_errors() == GENERIC_ERROR
    assert unknown_account.context["form"].non_field_errors() == GENERIC_ERROR


def test_it_refuses_a_deactivated_account_even_with_the_right_password(client):
    """Inactive users cannot sign in; they see the generic error, and the attempt is audited."""
    user = make_staff(Role.ADMINISTRATOR, is_active=False)

    response = post_login(client, user.username, PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == GENERIC_ERROR
    assert signed_in_user_id(client) is None
    assert audit_trail() == [("login_failure", None, str(user.pk), [])]


def test_it_locks_the_account_after_repeated_failures_and_audits_the_lockout_once(client):
    """The fifth failure locks the account for the cool-off time: even the right password
    is then refused, and the lockout itself is audited exactly once."""
    assert settings.AXES_FAILURE_LIMIT == 5
    user = make_staff(None)

    responses = [post_login(client, user.username, f"väärä-salasana-{n}") for n in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert "accounts/locked_out.html" in [t.name for t in responses[-1].templates]
    assert b"locked for 15 minutes" in responses[-1].content

    right_password = post_login(client, user.username, PASSWORD)
    again = post_login(client, user.username, PASSWORD)

    assert (right_password.status_code, again.status_code) == (429, 429)
    assert signed_in_user_id(client) is None
    # Refusals before sign-in are counted per address and account: the first of each
    # kind is an event at once, the count follows when the window closes
    # (audit/refusals.py).
    assert audit_trail("action", "object_id", "reason") == [
        ("login_failure", str(user.pk), ""),
        ("lockout", str(user.pk), ""),
        ("login_failure", str(user.pk), "locked out"),
    ]
    assert sorted(RefusalTally.objects.values_list("action", "subject_id", "reason", "count")) == [
        ("lockout", str(user.pk), "", 1),
        ("login_failure", str(user.pk), "", 5),
        ("login_failure", str(user.pk), "locked out", 2),
    ]


def test_attempts_during_the_lockout_do_not_prolong_it(client):
    """After the cool-off the right password works again, however often it was tried meanwhile."""
    user = make_staff(None)
    for n in range(5):
        post_login(client, user.username, f"väärä-salasana-{n}")
    post_login(client, user.username, PASSWORD)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    response = post_login(client, user.username, PASSWORD)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)
    assert [action for (action,) in audit_trail("action")][-1] == "login"
    assert AuditEvent.objects.filter(action="lockout").count() == 1


def test_a_signed_in_user_is_sent_on_from_the_form(client):
    """Opening the sign-in page while signed in goes to the front page, without an event."""
    sign_in(make_staff(None), client)
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert audit_trail() == []
