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

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from rekisteri import crypto
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.subject_keys import SubjectKeys, personal_text_encrypt
from rekisteri.inserts import rows_insert

if TYPE_CHECKING:
    from rekisteri.accounts.models import User
    from rekisteri.customers.models import Customer

GENESIS_HASH = "0" * 64


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


def _occurred_at(event: AuditEvent) -> str:
    return event.occurred_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _mac(content: dict[str, object]) -> str:
    message = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return crypto.keyring().audit_mac(message.encode("utf-8"))


def _content(event: AuditEvent) -> dict[str, object]:
    """What both chain formats' MACs cover of an event's own content."""
    return {
        "occurred_at": _occurred_at(event),
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


def event_mac(event: AuditEvent) -> str:
    """Chain format 1, of events written before sealing: the MAC over an event's
    content, its `seq` and its predecessor's hash, all at once. Kept to verify them."""
    return _mac({**_content(event), "seq": event.seq, "prev_hash": event.prev_hash})


def content_mac(event: AuditEvent) -> str:
    """The MAC over an event's own content (chain format 2), set by its writer. It
    covers the personal reason as ciphertext, so the event still verifies once
    erasure has destroyed the key that could read it."""
    return _mac({**_content(event), "format": 2, "personal_reason": event.personal_reason})


def chain_hash(*, seq: int, prev_hash: str, mac: str, ring: crypto.KeyRing | None = None) -> str:
    """A sealed event's hash: its place, its predecessor's hash and its content's MAC.
    `ring`: the key ring, for a caller that hashes many events (the sealer)."""
    return (ring or crypto.keyring()).audit_mac(f"{seq}:{prev_hash}:{mac}".encode())


@contextmanager
def audited_transaction() -> Iterator[None]:
    """The transaction of a write that appends to the audit trail: the change and its
    event commit together or not at all.

    No lock is taken for the trail: an event is inserted like any row, with the MAC of
    its own content, and the sealer gives it its place in the chain after it has
    committed (rekisteri/audit/sealing.py). So writers never wait for each other
    because of the trail. Nested, it is a savepoint."""
    with transaction.atomic():
        yield


def audit_event_build(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    customer: Customer | None = None,
    changed_fields: Iterable[str] = (),
    reason: str = "",
    object_type: str = "",
    object_id: str = "",
    occurred_at: datetime.datetime | None = None,
    keys: SubjectKeys | None = None,
) -> AuditEvent:
    """One event, not yet saved, with the MAC of its content.

    A reason about a customer is stored encrypted under the customer's own key
    (`personal_reason`, rekisteri/audit/subject_keys.py), which erasure destroys; only
    the erasure's own reason, checked free of the person's details, stays readable
    to prove the erasure. `keys` (a `SubjectKeys` loaded with the customers) spares a
    batch path a query per event; by default the keys fetched in the transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    personal_reason = ""
    if customer is not None and reason and action != Action.ERASE:
        personal_reason = personal_text_encrypt(customer.pk, reason, keys=keys)
        reason = ""
    event = AuditEvent(
        occurred_at=occurred_at or timezone.now(),
        actor_type=actor.type,
        actor_user=actor.user,
        actor_label=actor.label[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        customer=customer,
        changed_fields=sorted(set(changed_fields)),
        reason=reason,
        personal_reason=personal_reason,
        ip_address=actor.ip_address,
        request_id=actor.request_id,
    )
    _event_check(event)
    # After the check, which normalises values as they will be stored (an IPv6 address
    # in its short form): the MAC must cover the row as it will be read back.
    event.mac = content_mac(event)
    return event


_ACTIONS = frozenset(Action.values)
_ACTOR_TYPES = frozenset(ActorType.values)
# The lengths of the short texts an event is given by its callers.
_SHORT_TEXTS: dict[str, int] = {
    name: AuditEvent._meta.get_field(name).max_length  # type: ignore[union-attr,misc]
    for name in ("object_type", "object_id", "request_id")
}
_IP_FIELD = AuditEvent._meta.get_field("ip_address")


def _event_check(event: AuditEvent) -> None:
    """What the model's `full_clean` would check of an event this module built, at a
    tenth of its cost (it is on the path of every write): the choices, the lengths and
    the IP address, normalised as the database will return it. The database enforces
    the foreign keys; checking them here would cost two queries per event."""
    errors: dict[str, list[str]] = {}
    if event.action not in _ACTIONS:
        errors["action"] = [f"unknown action {event.action[:40]!r}"]
    if event.actor_type not in _ACTOR_TYPES:
        errors["actor_type"] = [f"unknown actor type {event.actor_type[:40]!r}"]
    for name, max_length in _SHORT_TEXTS.items():
        if len(getattr(event, name)) > max_length:
            errors[name] = [f"longer than {max_length} characters"]
    if event.ip_address:
        try:
            event.ip_address = _IP_FIELD.clean(event.ip_address, event)
        except ValidationError as error:
            errors["ip_address"] = error.messages
    if not isinstance(event.changed_fields, list):
        errors["changed_fields"] = ["not a list"]
    if errors:
        raise ValidationError(errors)


def _event_insert(event: AuditEvent) -> None:
    """Stores one event with the statement `rows_insert` makes once: every write
    appends an event, and building the INSERT through the ORM each time was most of an
    event's own cost."""
    rows_insert([event])


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
    """Appends one event to the trail, in the caller's transaction."""
    event = audit_event_build(
        actor=actor,
        action=action,
        obj=obj,
        customer=customer,
        changed_fields=changed_fields,
        reason=reason,
        object_type=object_type,
        object_id=object_id,
    )
    # No savepoint of its own: an event that fails fails its caller's transaction.
    with transaction.atomic(savepoint=False):
        _event_insert(event)
    return event


def audit_records_insert(events: Iterable[AuditEvent]) -> int:
    """Appends many events built with `audit_event_build` (a batch path: an import, a
    retention run) in as few statements as the batch allows, in the caller's
    transaction. Returns how many.

    Their reasons about customers are already encrypted by `audit_event_build`; give
    it a `SubjectKeys` loaded with the batch's customers (`SubjectKeys().load(ids)`)
    to fetch their keys with a query or three instead of one per event."""
    events = list(events)
    for event in events:
        if event.customer_id is not None and event.reason and event.action != Action.ERASE:
            # Built some other way: its reason would outlive the customer's erasure.
            raise ValueError("a reason about a customer must be built with audit_event_build")
    with transaction.atomic(savepoint=False):
        rows_insert(events)
    return len(events)


def audit_permission_denied(*, actor: Actor, path: str, customer: Customer | None = None) -> None:
    audit_record(
        actor=actor,
        action=Action.PERMISSION_DENIED,
        customer=customer,
        object_type="url",
        object_id=path[:64],
    )


__all__ = [
    "Actor",
    "audit_event_build",
    "audit_permission_denied",
    "audit_record",
    "audit_records_insert",
    "chain_hash",
    "content_mac",
    "event_mac",
]
