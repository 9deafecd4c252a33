"""Reading the audit trail: the log pages and the chain's verification."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from rekisteri.audit.models import AuditCheckpoint, AuditEvent
from rekisteri.audit.sealing import checkpoints_from_file
from rekisteri.audit.services import GENESIS_HASH, chain_hash, content_mac, event_mac
from rekisteri.audit.subject_keys import event_reasons_read

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
    # The `before` (an event's id) of the next, older page; None on the last page.
    older_than: int | None


def audit_events(*, filters: AuditFilter, before: int | None, limit: int) -> list[AuditEvent]:
    """A page of events, newest first (by id: an event is listed as soon as it has
    committed, before the sealer gives it its `seq`); `before` continues from an
    earlier page. Each event's `reason_text` is its reason as staff read it: a reason
    about a customer decrypted, or "(erased)" once erasure destroyed its key."""
    events: QuerySet[AuditEvent] = AuditEvent.objects.select_related(
        "actor_user", "customer"
    ).order_by("-id")
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
    if before is not None:
        events = events.filter(id__lt=before)
    return event_reasons_read(list(events[:limit]))


def audit_log_page(*, filters: AuditFilter, before: int | None, page_size: int) -> AuditPage:
    """One page of the log and where the next one starts, without counting rows."""
    events = audit_events(filters=filters, before=before, limit=page_size + 1)
    if len(events) > page_size:
        return AuditPage(events=events[:page_size], older_than=events[page_size - 1].pk)
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


def customer_audit_events(
    *, customer_id: int, limit: int = 20, records: QuerySet[Any] | None = None
) -> list[AuditEvent]:
    """Who has viewed and changed a customer, newest first, each with its
    `reason_text` (as `audit_events`). `records`: the ids of the customer's records,
    theirs and those merged into it (a subquery), whose events are the customer's too."""
    of_customer = (
        AuditEvent.objects.filter(customer_id__in=records)
        if records is not None
        else AuditEvent.objects.filter(customer_id=customer_id)
    )
    events = of_customer.select_related("actor_user")
    return event_reasons_read(list(events.order_by("-id")[:limit]))


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_hash: str
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""
    # Committed events not sealed yet, and how long the oldest of them has waited.
    unsealed: int = 0
    sealing_lag: datetime.timedelta | None = None
    # Checkpoints (in the database and in the file beside the backups) compared.
    checkpoints: int = 0

    @property
    def is_intact(self) -> bool:
        return not self.problem


def _events_in_order(using: str) -> Iterator[AuditEvent]:
    last_seq = 0
    events = AuditEvent.objects.using(using)
    while True:
        batch = list(events.filter(seq__gt=last_seq).order_by("seq")[:VERIFY_BATCH])
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq  # type: ignore[assignment]  # sealed events have a seq


def _unsealed_in_order(using: str) -> Iterator[AuditEvent]:
    last_id = 0
    events = AuditEvent.objects.using(using)
    while True:
        batch = list(events.filter(seq__isnull=True, id__gt=last_id).order_by("id")[:VERIFY_BATCH])
        if not batch:
            return
        yield from batch
        last_id = batch[-1].pk


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"event {first} is missing before it"
    return f"events {first} to {last} are missing before it"


def _sealed_problem(event: AuditEvent, expected_seq: int, prev_hash: str) -> str:
    assert event.seq is not None
    if event.seq != expected_seq:
        return _missing(expected_seq, event.seq - 1)
    if event.prev_hash != prev_hash:
        return "its link to the previous event does not match"
    if not event.mac:
        # Chain format 1, before sealing: one MAC over the content and the link.
        if event.hash != event_mac(event):
            return "its content does not match its hash (altered)"
        return ""
    if event.mac != content_mac(event):
        return "its content does not match its MAC (altered)"
    if event.hash != chain_hash(seq=event.seq, prev_hash=prev_hash, mac=event.mac):
        return "its hash does not match its place in the chain (altered)"
    return ""


def _checkpoints_kept(using: str, with_file: bool) -> list[tuple[int, str, str]]:
    kept = [
        (checkpoint.last_seq, checkpoint.last_hash, "checkpoint in the database")
        for checkpoint in AuditCheckpoint.objects.using(using).order_by("last_seq")
    ]
    if with_file:
        kept += [
            (checkpoint.seq, checkpoint.hash, f"checkpoint file line {checkpoint.line}")
            for checkpoint in checkpoints_from_file()
        ]
    return kept


def _checkpoint_problem(
    kept: list[tuple[int, str, str]], hashes: dict[int, str], head_seq: int
) -> str:
    """Compares the chain with every checkpoint kept: each names an event that must
    still be there with the same hash."""
    for seq, expected, where in kept:
        if seq > head_seq:
            return f"the chain ends at {head_seq} but the {where} names event {seq}"
        if hashes.get(seq) != expected:
            return f"event {seq} does not have the hash its {where} recorded"
    return ""


def audit_chain_verify(
    *, using: str = "default", with_file: bool = True, now: datetime.datetime | None = None
) -> ChainReport:
    """Walks the sealed chain from the start, checks every unsealed event's own MAC and
    compares the chain with the checkpoints kept; reports the first thing that does
    not fit.

    A gap in `seq`, a broken link or a MAC that does not match all count. Events cut
    off the end of the chain leave no trace in it: the checkpoints, one of them kept
    outside the database, are what notices that (and a rewrite of the whole table).
    `using` names another database (a backup's copy being checked); `with_file` False
    leaves out the file of the live installation's checkpoints."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    kept = _checkpoints_kept(using, with_file)
    checkpoint_seqs = {seq for seq, _hash, _where in kept}
    hashes: dict[int, str] = {}
    for event in _events_in_order(using):
        problem = _sealed_problem(event, expected_seq, prev_hash)
        if problem:
            return ChainReport(checked, prev_hash, event.seq, event.pk, problem)
        if event.seq in checkpoint_seqs:
            hashes[event.seq] = event.hash
        expected_seq, prev_hash, checked = expected_seq + 1, event.hash, checked + 1
    unsealed, oldest = 0, None
    for event in _unsealed_in_order(using):
        if not event.mac or event.mac != content_mac(event):
            return ChainReport(
                checked, prev_hash, None, event.pk, "an unsealed event does not match its MAC"
            )
        unsealed += 1
        oldest = event.occurred_at if oldest is None else min(oldest, event.occurred_at)
    lag = (now or timezone.now()) - oldest if oldest is not None else None
    return ChainReport(
        checked,
        prev_hash,
        problem=_checkpoint_problem(kept, hashes, expected_seq - 1),
        unsealed=unsealed,
        sealing_lag=lag,
        checkpoints=len(kept),
    )
