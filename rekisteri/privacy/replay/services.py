"""Replay after a restore: a restored backup must not bring back processing the people
said no to (GDPR arts. 7(3), 17, 18 and 21; P6, P11).

`replay_all` is what `rekisteri backup restore` does last, and `rekisteri replay` does by
hand after a restore made any other way. It first does again, in the order they were
done, the acts of the replay log (`privacy.replay.log`) the restored database lacks:
withdrawals, objections and bans as new events of the consent ledger with their own
time and source, restrictions and their lifts as the customer's status. Then it replays
the erasure log (`erasure_log_replays`). In that order, an act done before an erasure
is done before it again, and the erasure has the last word.

Each act is done at most once: what the replay log's table lists is in the database
(the act itself, or its replay), and an act is listed in the same transaction as it is
done again. A lift is done only where it still applies (a ban to lift, a restriction to
end); a withdrawal, an objection or a ban is always recorded, as their services always
accept them. Nothing is sent to anyone: the person was told when the act was done."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.utils import timezone

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.selectors import consent_state
from rekisteri.consents.services import consent_event_audit_fields, consent_event_built
from rekisteri.customers.models import Customer, Status
from rekisteri.privacy.erasure.services import ErasedAgain, erasure_log_replays
from rekisteri.privacy.models import ActKind, ReplayLogEntry
from rekisteri.privacy.replay.log import (
    CONSENT_KINDS,
    Act,
    acts_read,
    jsonl_append,
    replay_log_path,
)
from rekisteri.versioning import version_bump

REASON = "replay log replay"
ERASURE = "erasure"  # the kind an erasure has in a replay's list


class Outcome:
    DONE = "done again"
    # The restored database already has it so, or it no longer applies (a ban lift of a
    # customer without a ban, a restriction of an anonymised customer).
    UNCHANGED = "left as it was"
    # The customer was added after the backup was made, and is not in it.
    NO_CUSTOMER = "customer not in the database"


@dataclass(frozen=True)
class Replayed:
    """One act a replay met, by opaque ids: what it was, whose, when it was first done,
    and what the replay did."""

    kind: str
    channel: str
    done_at: datetime.datetime
    customer_public_id: uuid.UUID
    customer_number: int | None
    outcome: str

    def line(self) -> str:
        """The act for a person reading a command's report, in Finnish time."""
        what = f"{self.kind} ({self.channel})" if self.channel else self.kind
        number = "?" if self.customer_number is None else str(self.customer_number)
        return (
            f"{timezone.localtime(self.done_at):%Y-%m-%d %H:%M:%S %Z}  {what}  customer "
            f"{number} ({self.customer_public_id}): {self.outcome}"
        )


@dataclass(frozen=True)
class Replay:
    acts: list[Replayed]  # the replay log's acts the database lacked, in order
    erased_again: list[Replayed]

    @property
    def done(self) -> list[Replayed]:
        return [act for act in self.acts if act.outcome == Outcome.DONE]

    def lines(self) -> list[str]:
        """Every act met, erasures too, in the order they were first done."""
        return [act.line() for act in sorted(self.acts + self.erased_again, key=_when)]


def _when(replayed: Replayed) -> datetime.datetime:
    return replayed.done_at


def _status_set(customer: Customer, status: str) -> None:
    customer.status = status
    customer.updated_at = timezone.now()
    version_bump(customer)
    customer.save(update_fields=["status", "updated_at", "version"])


def _consent_event_replay(*, actor: Actor, customer: Customer, act: Act) -> None:
    event = consent_event_built(
        actor=actor,
        customer=customer,
        kind=act.kind,
        source=act.source,
        channel=act.channel,
        occurred_at=act.done_at,
    )
    event.save(force_insert=True)
    fields = consent_event_audit_fields(event)
    audit_record(actor=actor, **{**fields, "reason": f"{REASON}: {fields['reason']}"})


def _do(*, actor: Actor, customer: Customer, act: Act) -> str:
    """Does the act again on the locked customer if it still applies; the outcome."""
    if act.kind == ActKind.BAN_LIFTED and (
        customer.status != Status.ACTIVE or not consent_state(customer).banned
    ):
        return Outcome.UNCHANGED
    if act.kind in CONSENT_KINDS:
        _consent_event_replay(actor=actor, customer=customer, act=act)
        return Outcome.DONE
    before, after, said = {
        ActKind.RESTRICTION: (Status.ACTIVE, Status.RESTRICTED, "restricted (art. 18)"),
        ActKind.RESTRICTION_LIFTED: (Status.RESTRICTED, Status.ACTIVE, "restriction lifted"),
    }[ActKind(act.kind)]
    if customer.status != before:
        return Outcome.UNCHANGED
    _status_set(customer, after)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=customer,
        customer=customer,
        changed_fields=["status"],
        reason=f"{REASON}: {said}",
    )
    return Outcome.DONE


def _act_replay(*, actor: Actor, act: Act) -> Replayed:
    with audited_transaction():
        customer = (
            Customer.objects.select_for_update().filter(public_id=act.customer_public_id).first()
        )
        if customer is None:
            outcome = Outcome.NO_CUSTOMER
        else:
            outcome = _do(actor=actor, customer=customer, act=act)
        # Listed even when nothing was done: the next replay need not look again.
        ReplayLogEntry.objects.bulk_create([act.entry()], ignore_conflicts=True)
    return Replayed(
        kind=act.kind,
        channel=act.channel,
        done_at=act.done_at,
        customer_public_id=act.customer_public_id,
        customer_number=customer.customer_number if customer is not None else None,
        outcome=outcome,
    )


def acts_replay(*, actor: Actor) -> list[Replayed]:
    """Does again, in the order they were first done, the acts the replay log file
    lists and its table does not (a restored backup lost them), and makes the file
    hold every act the table lists. Returns the acts it met, in that order."""
    in_file = acts_read()
    in_table = {
        entry.act_id: Act.of_entry(entry)
        for entry in ReplayLogEntry.objects.order_by("done_at", "id")
    }
    # A file lost, or a restore on a new machine without it: the table's acts go back.
    jsonl_append(
        replay_log_path(),
        (act.line() for act_id, act in in_table.items() if act_id not in in_file),
    )
    # By time, then as the file has them: a lift's line may follow a later act's (it is
    # written on commit), but never its time.
    missing = sorted((act for act in in_file.values() if act.act_id not in in_table), key=_time)
    return [_act_replay(actor=actor, act=act) for act in missing]


def _time(act: Act) -> datetime.datetime:
    return act.done_at


def _erased(erased: ErasedAgain) -> Replayed:
    return Replayed(
        kind=ERASURE,
        channel="",
        done_at=erased.erased_at,
        customer_public_id=erased.customer_public_id,
        customer_number=erased.customer_number,
        outcome=Outcome.DONE,
    )


def replay_all(*, actor: Actor) -> Replay:
    """Replays the replay log (`acts_replay`), then the erasure log
    (`erasure_log_replays`). Running it again changes nothing."""
    acts = acts_replay(actor=actor)
    erased = erasure_log_replays(actor=actor)
    return Replay(acts=acts, erased_again=[_erased(item) for item in erased])
