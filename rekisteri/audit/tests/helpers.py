"""Making audit events for the audit app's tests."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

from rekisteri.accounts.models import User
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import Actor, audit_record
from rekisteri.customers.models import Customer


def staff_actor(user: User) -> Actor:
    return Actor(
        type=ActorType.STAFF,
        user=user,
        label=user.username,
        ip_address="192.0.2.10",
        request_id="req-0123456789",
    )


def record(
    actor: Actor,
    action: str = Action.VIEW,
    *,
    customer: Customer | None = None,
    at: datetime.datetime | None = None,
    **fields: Any,
) -> AuditEvent:
    """Records an event, at a given moment if `at` is given (the clock is the outside
    world, so stopping it is fair)."""
    if at is None:
        return audit_record(actor=actor, action=action, customer=customer, **fields)
    with mock.patch("django.utils.timezone.now", return_value=at):
        return audit_record(actor=actor, action=action, customer=customer, **fields)
