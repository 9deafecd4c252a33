"""Reading the audit trail: the log pages and the chain's verification."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import GENESIS_HASH, event_mac

VERIFY_BATCH = 2000


@dataclass(frozen=True)
class AuditFilter:
    customer_id: int | None = None
    actor_user_id: int | None = None
    action: str = ""
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    # The `before_seq` of the next, older page; None on the last page.
    older_than: int | None


def audit_events(*, filters: AuditFilter, before_seq: int | None, limit: int) -> list[AuditEvent]:
    """A page of events, newest first; `before_seq` continues from an earlier page."""
    events: QuerySet[AuditEvent] = AuditEvent.objects.select_related(
        "actor_user", "customer"
    ).order_by("-seq")
    if filters.customer_id is not None:
        events = events.filter(customer_id=filters.customer_id)
    if filters.actor_user_id is not None:
        events = events.filter(actor_user_id=filters.actor_user_id)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.since is not None:
        events = events.filter(occurred_at__gte=filters.since)
    if filters.until is not None:
        events = events.filter(occurred_at__lt=filters.until)
    if before_seq is not None:
        events = events.filter(seq__lt=before_seq)
    return list(events[:limit])


def audit_log_page(*, filters: AuditFilter, before_seq: int | None, page_size: int) -> AuditPage:
    """One page of the log and where the next one starts, without counting rows."""
    events = audit_events(filters=filters, before_seq=before_seq, limit=page_size + 1)
    if len(events) > page_size:
        return AuditPage(events=events[:page_size], older_than=events[page_size - 1].seq)
    return AuditPage(events=events, older_than=None)


def local_day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the current time zone (Europe/Helsinki)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def audit_customer_id(*, customer_number: int) -> int | None:
    """The id of the customer with this number, to filter the log by.

    The customer is found through the events' own link to their customer, not by
    importing the customer model: every app records into the audit trail, so the trail
    imports none of them."""
    customer_model = AuditEvent._meta.get_field("customer").related_model
    assert isinstance(customer_model, type)
    return (
        customer_model._default_manager.filter(customer_number=customer_number)
        .values_list("pk", flat=True)
        .first()
    )


def audit_actor_id(*, username: str) -> int | None:
    """The id of the staff member with this username, to filter the log by."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(**{user_model.USERNAME_FIELD: username})
        .values_list("pk", flat=True)
        .first()
    )


def customer_audit_events(*, customer_id: int, limit: int = 20) -> list[AuditEvent]:
    """Who has viewed and changed a customer, newest first."""
    return list(
        AuditEvent.objects.filter(customer_id=customer_id)
        .select_related("actor_user")
        .order_by("-seq")[:limit]
    )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_hash: str
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""

    @property
    def is_intact(self) -> bool:
        return self.broken_seq is None


def _events_in_order() -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:VERIFY_BATCH])
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"event {first} is missing before it"
    return f"events {first} to {last} are missing before it"


def audit_chain_verify() -> ChainReport:
    """Walks the chain from the start and reports the first event that does not fit.

    A gap in `seq`, a broken link or a MAC that does not match all count. Events cut
    off the end of the chain leave no trace in it; compare the head hash with one
    recorded earlier to notice that."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in _events_in_order():
        problem = ""
        if event.seq != expected_seq:
            problem = _missing(expected_seq, event.seq - 1)
        elif event.prev_hash != prev_hash:
            problem = "its link to the previous event does not match"
        elif event.hash != event_mac(event):
            problem = "its content does not match its hash (altered)"
        if problem:
            return ChainReport(checked, prev_hash, event.seq, event.pk, problem)
        expected_seq, prev_hash, checked = event.seq + 1, event.hash, checked + 1
    return ChainReport(checked, prev_hash)
