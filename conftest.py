"""Fixtures shared by every app's tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.testing.auth import english_client, sign_in
from rekisteri.testing.factories import make_staff


@pytest.fixture(autouse=True)
def language_restored() -> Iterator[None]:
    """A request through the test client leaves its language active in the thread;
    return to the source language (as after the test database was migrated), so that
    no test depends on which test ran before it in the same worker. Before the test
    too: the first test of a worker starts after the session's fixtures, whose requests
    may have left a language active."""
    from django.utils import translation

    translation.deactivate_all()
    yield
    translation.deactivate_all()


# The start of a day (and so of every minute and hour in it), as seconds since 1970.
WINDOWS_START = 86_400 * 20_834.0


@pytest.fixture(autouse=True)
def cache_cleared(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rate-limit counters live in the (per-process) cache: each test starts afresh.
    Their fixed windows start with the test, too: the limiter's clock runs from the
    start of a day, so a test that counts up to a limit never sees its minute or hour
    end half-way (which made such tests fail now and then on a real clock)."""
    from django.core.cache import cache

    cache.clear()
    started = time.monotonic()
    monkeypatch.setattr(
        "rekisteri.ratelimit._now", lambda: WINDOWS_START + (time.monotonic() - started)
    )
    yield


@pytest.fixture
def client() -> Client:
    return english_client()


@pytest.fixture
def staff(db: None) -> Callable[..., User]:
    """Makes a staff member: staff(Role.CUSTOMER_SERVICE), or staff(None) for no role."""
    return make_staff


@pytest.fixture
def client_as(db: None) -> Callable[[str | None], Client]:
    """A test client signed in as a new staff member with the given role."""

    def make(role: str | None) -> Client:
        return sign_in(make_staff(role), english_client())

    return make


@pytest.fixture
def customer_service_client(client_as: Callable[[str | None], Client]) -> Client:
    return client_as(Role.CUSTOMER_SERVICE)


@pytest.fixture
def privacy_officer_client(client_as: Callable[[str | None], Client]) -> Client:
    return client_as(Role.PRIVACY_OFFICER)
