"""Helpers for the staff-accounts tests: English pages, signed-in clients, the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import english_client
from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.accounts.services import SESSION_LOGIN_AT
from rekisteri.audit.models import AuditEvent

NON_ADMINISTRATOR_ROLES = [
    None,
    Role.CUSTOMER_SERVICE,
    Role.MARKETING,
    Role.PRIVACY_OFFICER,
    Role.AUDITOR,
]


def sign_in(user: User, client: Client | None = None) -> Client:
    """A client with a session as sign-in makes it (login time included)."""
    client = client or english_client()
    client.force_login(user)
    session = client.session
    session[SESSION_LOGIN_AT] = timezone.now().timestamp()
    session.save()
    return client


def audit_trail(*fields: str) -> list[tuple[Any, ...]]:
    """Every audit event in order, as tuples of the given fields."""
    fields = fields or ("action", "actor_user_id", "object_id", "changed_fields")
    return list(AuditEvent.objects.order_by("seq").values_list(*fields))


@pytest.fixture
def administrator(staff: Callable[..., User]) -> User:
    return staff(Role.ADMINISTRATOR)


@pytest.fixture
def admin_client(administrator: User) -> Client:
    return sign_in(administrator)
