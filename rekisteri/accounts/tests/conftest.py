"""Fixtures for the staff-accounts tests: an administrator and their signed-in client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.testing.auth import sign_in


@pytest.fixture
def administrator(staff: Callable[..., User]) -> User:
    return staff(Role.ADMINISTRATOR)


@pytest.fixture
def admin_client(administrator: User) -> Client:
    return sign_in(administrator)
