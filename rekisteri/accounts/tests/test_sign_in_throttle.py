"""Sign-in throttling per account from any address (security review finding 7): rotating
addresses gives no more guesses, and nobody keeps a staff member out for long."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from rekisteri.accounts import throttle
from rekisteri.accounts.models import SignInThrottle, User
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import AuditEvent
from rekisteri.testing.factories import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

URL = "/accounts/login/"


class Clock:
    """The throttle's clock, moved by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(throttle, "_now", clock)
    return clock


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


@pytest.fixture
def user() -> User:
    return make_staff(Role.CUSTOMER_SERVICE, username="pekka.nieminen")


def attempt(username: str, password: str, address: int, client: Client | None = None):
    client = client or Client(HTTP_ACCEPT_LANGUAGE="en")
    return client.post(
        URL, {"username": username, "password": password}, REMOTE_ADDR=f"198.51.100.{address}"
    )


def fail_from_ten_addresses(username: str) -> list[int]:
    return [attempt(username, f"arvaus-{n}", address=n).status_code for n in range(10)]


def test_failures_from_ten_addresses_make_the_account_wait(user, clock):
    """Each address failed once only (far from the lockout per address), yet the
    eleventh attempt waits, even with the right password, which is not checked."""
    assert fail_from_ten_addresses(user.username) == [200] * 10
    row = SignInThrottle.objects.get(user=user)
    assert (row.failures, row.blocked_until) == (10, clock.now + datetime.timedelta(seconds=1))
    last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = attempt(user.username, PASSWORD, address=200)

    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert b"Too many failed sign-ins. Wait 1 seconds and try again." in response.content
    assert "_auth_user_id" not in response.client.session
    wrong = attempt(user.username, "vielä-yksi-arvaus", address=201)
    assert wrong.status_code == 429
    row.refresh_from_db()
    assert row.failures == 10  # not counted: the password was not checked
    assert not AccessAttempt.objects.filter(ip_address__in=["198.51.100.200", "198.51.100.201"])
    # Each refusal is recorded (the first from an address as an event of its own).
    assert (
        list(AuditEvent.objects.filter(id__gt=last_id).values_list("action", "reason"))
        == [("login_failure", "throttled")] * 2
    )


def test_the_wait_doubles_with_each_failure_up_to_the_cap(user, clock, settings):
    settings.SIGN_IN_THROTTLE_MAX_SECONDS = 300
    fail_from_ten_addresses(user.username)
    waits = []
    for n in range(12):
        row = SignInThrottle.objects.get(user=user)
        assert row.blocked_until is not None and row.last_failure_at is not None
        waits.append(int((row.blocked_until - row.last_failure_at).total_seconds()))
        clock.advance(waits[-1])  # the wait is over: the next guess is checked again
        assert attempt(user.username, f"uusi-arvaus-{n}", address=100 + n).status_code == 200

    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


def test_the_right_password_works_once_the_wait_is_over(user, clock):
    fail_from_ten_addresses(user.username)
    assert attempt(user.username, PASSWORD, address=50).status_code == 429

    clock.advance(1)
    response = attempt(user.username, PASSWORD, address=50)

    assert (response.status_code, response["Location"]) == (302, "/")
    assert not SignInThrottle.objects.filter(user=user).exists()


def test_a_browser_that_signed_in_before_is_not_made_to_wait(user, clock):
    """A stranger who keeps guessing does not keep the staff member out."""
    own_browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert attempt(user.username, PASSWORD, address=7, client=own_browser).status_code == 302
    own_browser.post("/accounts/logout/")
    fail_from_ten_addresses(user.username)
    assert attempt(user.username, PASSWORD, address=60).status_code == 429

    response = attempt(user.username, PASSWORD, address=7, client=own_browser)

    assert response.status_code == 302
    assert own_browser.session["_auth_user_id"] == str(user.pk)


def test_an_unknown_username_waits_the_same_and_is_not_stored(clock):
    """The answers do not tell which usernames are accounts."""
    assert fail_from_ten_addresses("ei.ole.olemassa") == [200] * 10

    response = attempt("ei.ole.olemassa", PASSWORD, address=99)

    assert (response.status_code, response["Retry-After"]) == (429, "1")
    assert SignInThrottle.objects.count() == 0
