"""Writing the audit trail. Every service that touches personal data calls
`audit_record` inside its own transaction, so the change and its record commit or
roll back together."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from rekisteri import crypto
from rekisteri.audit.models import Action, ActorType, AuditEvent

if TYPE_CHECKING:
    from rekisteri.accounts.models import User
    from rekisteri.customers.models import Customer

GENESIS_HASH = "0" * 64
# Any constant works; it names the lock that serialises appends on PostgreSQL.
CHAIN_LOCK_ID = 0x52454B49  # "REKI"


@dataclass(frozen=True)
class Actor:
    """Who does something: a staff member, an integration, the system or a customer."""

    type: str
    user: User | None = None
    label: str = ""
    ip_address: str | None = None
    request_id: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user = request.user if request.user.is_authenticated else None
        return cls(
            type=ActorType.STAFF if user is not None else ActorType.ANONYMOUS,
            user=user,
            label=user.get_username() if user is not None else "",
            ip_address=request.META.get("REMOTE_ADDR") or None,
            request_id=getattr(request, "request_id", ""),
        )

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(type=ActorType.SYSTEM, label=label)


def event_mac(event: AuditEvent) -> str:
    """The MAC of an event over its content and its predecessor's hash."""
    occurred_at = event.occurred_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    content = {
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "occurred_at": occurred_at,
        "actor_type": event.actor_type,
        "actor_user_id": event.actor_user_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "customer_id": event.customer_id,
        "changed_fields": list(event.changed_fields),
        "reason": event.reason,
        "ip_address": event.ip_address,
        "request_id": event.request_id,
    }
    message = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return crypto.keyring().audit_mac(message.encode("utf-8"))


def _lock_chain() -> None:
    # SQLite transactions begin IMMEDIATE (see settings), which already serialises
    # writers; PostgreSQL needs an explicit lock held to the end of the transaction.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])


@contextmanager
def audited_transaction() -> Iterator[None]:
    """The transaction of a write that appends to the audit trail.

    It takes the chain's lock before anything else, so every writer locks in the same
    order (chain first, then rows and counters) and no two can deadlock: otherwise one
    holding a customer's row and waiting for the chain could meet one holding the
    chain and waiting for that row. On SQLite, BEGIN IMMEDIATE already orders writers
    this way. Nested, it is a savepoint and the lock is already held."""
    with transaction.atomic():
        _lock_chain()
        yield


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    customer: Customer | None = None,
    changed_fields: Iterable[str] = (),
    reason: str = "",
    object_type: str = "",
    object_id: str = "",
) -> AuditEvent:
    """Appends one event to the chain, in the caller's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    # No savepoint of its own: an event that fails fails its caller's transaction.
    with transaction.atomic(savepoint=False):
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event = AuditEvent(
            seq=seq,
            occurred_at=timezone.now(),
            actor_type=actor.type,
            actor_user=actor.user,
            actor_label=actor.label[:150],
            action=action,
            object_type=object_type,
            object_id=object_id,
            customer=customer,
            changed_fields=sorted(set(changed_fields)),
            reason=reason,
            ip_address=actor.ip_address,
            request_id=actor.request_id,
            prev_hash=prev_hash,
        )
        event.hash = event_mac(event)
        # The database enforces the unique seq and the foreign keys; checking them here
        # would cost three queries per event.
        event.full_clean(
            exclude=["actor_user", "customer"], validate_unique=False, validate_constraints=False
        )
        event.save(force_insert=True)
    return event


def audit_permission_denied(*, actor: Actor, path: str, customer: Customer | None = None) -> None:
    audit_record(
        actor=actor,
        action=Action.PERMISSION_DENIED,
        customer=customer,
        object_type="url",
        object_id=path[:64],
    )


__all__ = ["Actor", "audit_permission_denied", "audit_record", "event_mac"]
