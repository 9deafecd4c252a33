"""Making audit events for the audit app's tests."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

from django.db import connection

from rekisteri.accounts.models import User
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import GENESIS_HASH, Actor, audit_record, event_mac
from rekisteri.customers.models import Customer


def event_without_mac_insert(occurred_at: datetime.datetime) -> AuditEvent:
    """An event written past the services, with no MAC of its own (as a forger, or a
    writer from before sealing, would leave it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_type, actor_label, action,"
            " object_type, object_id, changed_fields, reason, personal_reason, request_id,"
            " mac, prev_hash, hash) VALUES (%s, 'system', 'forger', 'view', '', '', '[]', '',"
            " '', '', '', '', '')",
            [connection.ops.adapt_datetimefield_value(occurred_at)],
        )
    return AuditEvent.objects.get(actor_label="forger")


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


def tamper(*statements: str, params: list[Any] | None = None) -> None:
    """Runs SQL as an attacker with DDL rights would: first out of the triggers' way."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Settles the inserts' deferred foreign key checks, which PostgreSQL would
            # otherwise hold against ALTER TABLE in this same (test) transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
        for statement in statements:
            cursor.execute(statement, params)


def format_one_events_insert(count: int) -> list[int]:
    """Inserts `count` events as Rekisteri wrote them before sealing existed (chain
    format 1: no `mac`; the hash is the MAC over the content, the place and the link,
    given at once), with plain INSERTs; returns their ids."""
    ids, prev_hash = [], GENESIS_HASH
    start = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.UTC)
    for seq in range(1, count + 1):
        event = AuditEvent(
            seq=seq,
            prev_hash=prev_hash,
            occurred_at=start + datetime.timedelta(minutes=seq),
            actor_type=ActorType.SYSTEM,
            actor_label="old release",
            action=Action.VIEW,
            reason=f"Old event {seq}",
        )
        event.hash = prev_hash = event_mac(event)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (seq, occurred_at, actor_type, actor_label,"
                " action, object_type, object_id, changed_fields, reason, personal_reason,"
                " request_id, mac, prev_hash, hash)"
                " VALUES (%s, %s, %s, %s, %s, '', '', '[]', %s, '', '', '', %s, %s)",
                [
                    seq,
                    connection.ops.adapt_datetimefield_value(event.occurred_at),
                    event.actor_type,
                    event.actor_label,
                    event.action,
                    event.reason,
                    event.prev_hash,
                    event.hash,
                ],
            )
        ids.append(AuditEvent.objects.get(seq=seq).pk)
    return ids
