"""Helpers for the staff-accounts tests: English pages, signed-in clients, the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import AuditEvent
from rekisteri.testing.auth import sign_in as sign_in

NON_ADMINISTRATOR_ROLES = [
    None,
    Role.CUSTOMER_SERVICE,
    Role.MARKETING,
    Role.PRIVACY_OFFICER,
    Role.AUDITOR,
]


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
