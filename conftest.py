"""Fixtures shared by every app's tests."""

from __future__ import annotations

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
    no test depends on which test ran before it in the same worker."""
    from django.utils import translation

    yield
    translation.deactivate_all()


@pytest.fixture(autouse=True)
def cache_cleared() -> Iterator[None]:
    """Rate-limit counters live in the (per-process) cache: each test starts afresh."""
    from django.core.cache import cache

    cache.clear()
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
