"""Merging two customer records of one person (issue 19; docs/customers.md).

Customer service picks the record to keep and the other record, and chooses for each
of `MERGE_FIELDS` which record's value the kept one gets. What the other record has
moves to the kept one; the other becomes a pointer to it (`Customer.merged_into`), its
own data cleared: its customer number and public id still find the kept record.

Every relation to a customer is named in `RELATIONS`, with what a merge does to it;
a test fails when a new relation appears that is not named there. What cannot be
rewritten stays on the pointer and is read with the kept record:
- the audit trail (each event's MAC covers its customer): the kept customer's history,
  access copy and erasure include the records merged into it;
- the subject key (it decrypts the pointer's audit reasons): erasure of the kept
  customer destroys it too;
- the consent ledger (append-only): the kept record gets new events that make its
  state the stricter of the two (`_consents_carried`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri import crypto, fi
from rekisteri.audit.models import Action
from rekisteri.audit.services import (
    Actor,
    audit_event_build,
    audit_record,
    audit_records_insert,
    audited_transaction,
)
from rekisteri.audit.subject_keys import SubjectKeys
from rekisteri.consents.models import (
    BANNING_KINDS,
    OPT_IN_CHANNELS,
    Channel,
    ConsentEvent,
    EventKind,
)
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.consents.selectors import Reason, derive_state
from rekisteri.consents.services import consent_event_audit_fields, consent_event_built
from rekisteri.customers.models import (
    IDENTITY_CODE_PURPOSE,
    Customer,
    HeldChange,
    HeldChangeState,
    Status,
)
from rekisteri.customers.services import (
    UNREADABLE_IDENTITY_CODE,
    CustomerInput,
    customer_input_clean,
    identity_code_decrypt,
    identity_code_encrypt,
)
from rekisteri.intake.models import InboxDelivery
from rekisteri.marketing.models import CampaignMessage
from rekisteri.orders.models import Delivery, Order, Return
from rekisteri.privacy.models import BreachSubject, Disclosure, LegalHold, SubjectRequest
from rekisteri.privacy.replay.log import act_record
from rekisteri.versioning import version_bump

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The fields whose value staff choose, in the order the page shows them. The identity
# code is not among them: two codes that differ refuse the merge, and a code on one
# record only is kept.
MERGE_FIELDS: tuple[str, ...] = (
    "surname",
    "first_names",
    "street_address",
    "postal_code",
    "post_office",
    "country",
    "phone",
    "email",
    "preferred_language",
    "notes",
)

Choice = Literal["kept", "other"]

# Stored data, in the company's language: the name a merged record is left with,
# "Yhdistetty asiakas 1234" (its own number; `merged_into` says into which).
MERGED_NAME = "Yhdistetty asiakas"

# What a merge does to each relation to a customer (`Customer._meta`'s relations by
# model and field). "move": to the kept record; "move_unless_both": to the kept record
# unless it has one of the same already (a unique constraint), else it stays;
# "stay": on the pointer, read with the kept record; "refuse_if_waiting": moves, but
# one waiting for a decision refuses the merge.
RELATIONS: dict[str, str] = {
    "orders.order.customer": "move",  # with their deliveries, returns, credit checks,
    # confirmations, idempotency keys and lines, which hang on the order
    "privacy.subjectrequest.customer": "move",
    "privacy.disclosure.customer": "move",
    "privacy.legalhold.customer": "move",
    "intake.inboxdelivery.customer": "move",
    "privacy.breachsubject.customer": "move_unless_both",
    "marketing.campaignmessage.customer": "move_unless_both",
    "customers.heldchange.customer": "refuse_if_waiting",
    "customers.customer.merged_into": "move",  # records merged into the other earlier
    "consents.consentevent.customer": "stay",  # append-only; see `_consents_carried`
    "audit.auditevent.customer": "stay",  # its MAC covers the customer
    "audit.subjectkey.customer": "stay",  # decrypts the pointer's audit reasons
}

# What `MergePreview.counts` names, as staff read it.
COUNT_LABELS: dict[str, StrOrPromise] = {
    "orders": _("Orders"),
    "deliveries": _("Deliveries"),
    "returns": _("Returns"),
    "subject_requests": _("Subject requests"),
    "disclosures": _("Disclosures"),
    "legal_holds": _("Legal holds"),
    "breach_notices": _("Breach notices"),
    "campaign_messages": _("Campaign messages"),
    "held_changes": _("Changes asked for while restricted"),
    "shop_deliveries": _("Web shop deliveries"),
    "merged_records": _("Records merged into it earlier"),
    "consent_events": _("Consent events added to the kept record"),
}

SAME_RECORD = _("A record cannot be merged into itself: choose two different customers.")
ERASED = _("An erased (anonymised) record cannot be merged.")
ALREADY_MERGED = _(
    "One of the records has already been merged into another: open it by its number to "
    "find the record it was merged into."
)
RESTRICTED = _(
    "The processing of one of the records is restricted (GDPR art. 18), so its data must "
    "not be changed. Ask the privacy officer: the records can be merged once the "
    "restriction has been lifted."
)
HELD_WAITING = _(
    "A change asked for while the processing was restricted waits for the privacy "
    "officer's decision. Ask them to decide it before merging."
)
CODES_DIFFER = _(
    "The records have different identity codes: they may be two different people. "
    "Check the codes; if one is wrong, correct it on that customer's page first."
)
CHANGED_MEANWHILE = _(
    "One of the records was changed after you opened the merge: nothing was merged. Check "
    "the values again and merge once more."
)
NOT_VALID = _("The chosen values do not make a valid customer record: %(errors)s")


class MergeRefused(Exception):
    """The merge was refused and nothing was changed. `message` says why, for a person
    to read, and names no personal data."""

    def __init__(self, message: StrOrPromise) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class FieldChoice:
    name: str
    label: str
    kept_value: str
    other_value: str
    differs: bool


@dataclass(frozen=True)
class MergePreview:
    kept: Customer
    other: Customer
    fields: list[FieldChoice]
    # Why the merge would be refused, for a person to read; empty when it may go on.
    blockers: list[StrOrPromise]
    # What moves from the other record to the kept one, by kind (`COUNT_LABELS`).
    counts: dict[str, int]

    @property
    def may_merge(self) -> bool:
        return not self.blockers


def _label(name: str) -> str:
    field = Customer._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, models.Field) else name


def _field_choices(kept: Customer, other: Customer) -> list[FieldChoice]:
    choices = []
    for name in MERGE_FIELDS:
        kept_value, other_value = str(getattr(kept, name)), str(getattr(other, name))
        choices.append(
            FieldChoice(
                name=name,
                label=_label(name),
                kept_value=kept_value,
                other_value=other_value,
                differs=kept_value != other_value,
            )
        )
    return choices


def _identity_code_moving(kept: Customer, other: Customer) -> str:
    """The other record's identity code in plain text when the kept record gets it
    (only the other has one), else "". MergeRefused when both have one and they
    differ, or a stored code cannot be read."""
    if not other.has_identity_code:
        return ""
    ring = crypto.keyring()
    try:
        other_code = identity_code_decrypt(ring, other)
        kept_code = identity_code_decrypt(ring, kept) if kept.has_identity_code else ""
    except crypto.DecryptionError:
        raise MergeRefused(UNREADABLE_IDENTITY_CODE) from None
    if kept_code and kept_code != other_code:
        raise MergeRefused(CODES_DIFFER)
    return "" if kept_code else other_code


def _blockers(kept: Customer, other: Customer) -> list[StrOrPromise]:
    if kept.pk == other.pk:
        return [SAME_RECORD]
    statuses = {kept.status, other.status}
    blockers: list[StrOrPromise] = []
    if Status.ANONYMISED in statuses:
        blockers.append(ERASED)
    if Status.MERGED in statuses or kept.merged_into_id or other.merged_into_id:
        blockers.append(ALREADY_MERGED)
    if Status.RESTRICTED in statuses:
        blockers.append(RESTRICTED)
    if HeldChange.objects.filter(
        customer_id__in=[kept.pk, other.pk], state=HeldChangeState.WAITING
    ).exists():
        blockers.append(HELD_WAITING)
    try:
        _identity_code_moving(kept, other)
    except MergeRefused as refused:
        blockers.append(refused.message)
    return blockers


def _moving(kept: Customer, other: Customer) -> dict[str, models.QuerySet[models.Model]]:
    """What moves from `other` to `kept`, by the name `counts` gives it."""
    kept_breaches = BreachSubject.objects.filter(customer=kept).values("breach_id")
    kept_campaigns = CampaignMessage.objects.filter(customer=kept).values("campaign_id")
    return {
        "orders": Order.objects.filter(customer=other),
        "subject_requests": SubjectRequest.objects.filter(customer=other),
        "disclosures": Disclosure.objects.filter(customer=other),
        "legal_holds": LegalHold.objects.filter(customer=other),
        "breach_notices": BreachSubject.objects.filter(customer=other).exclude(
            breach_id__in=kept_breaches
        ),
        "campaign_messages": CampaignMessage.objects.filter(customer=other).exclude(
            campaign_id__in=kept_campaigns
        ),
        "held_changes": HeldChange.objects.filter(customer=other),
        "shop_deliveries": InboxDelivery.objects.filter(customer=other),
        "merged_records": Customer.objects.filter(merged_into=other),
    }


def merge_preview(*, kept: Customer, other: Customer) -> MergePreview:
    """The two records side by side, what would move, and what refuses the merge. No
    writes (and no audit: the caller records that staff viewed the two records)."""
    kept = Customer.objects.get(pk=kept.pk)
    other = Customer.objects.get(pk=other.pk)
    blockers = _blockers(kept, other)
    counts = {name: rows.count() for name, rows in _moving(kept, other).items()}
    counts["deliveries"] = Delivery.objects.filter(order__customer=other).count()
    counts["returns"] = Return.objects.filter(order__customer=other).count()
    counts["consent_events"] = (
        0 if kept.pk == other.pk else len(_consents_carried(kept=kept, other=other))
    )
    return MergePreview(
        kept=kept,
        other=other,
        fields=_field_choices(kept, other),
        blockers=blockers,
        counts={name: counts[name] for name in COUNT_LABELS},
    )


# The consent ledger ---------------------------------------------------------------


@dataclass(frozen=True)
class _Carried:
    """An event the kept record's ledger gets: `kind` on `channel` ("" for the ban),
    following from `origin`, an event of either record's ledger."""

    kind: str
    channel: str
    origin: ConsentEvent


def _last(events: Sequence[ConsentEvent], channel: str) -> ConsentEvent | None:
    of_channel = [event for event in events if event.channel == channel]
    return of_channel[-1] if of_channel else None


def _consents_carried(*, kept: Customer, other: Customer) -> list[_Carried]:
    """The events that make the kept record's consents the stricter of the two
    records' (docs/customers.md, "Asiakkaiden yhdistäminen"):

    - a ban or objection in force on either record holds;
    - a withdrawal (the latest event of a channel) on either record holds;
    - the kept record's live opt-in stays, unless the other record has a ban or
      objection recorded after it (a ban cancels earlier opt-ins, and lifting it does
      not bring them back): then it is withdrawn;
    - the other record's live opt-in is carried over, with its evidence, only when the
      kept record was never asked on that channel and has no ban after it.

    Grants come first and the no's last, so that in the ledger's order a no follows
    whatever it overrides."""
    kept_events = list(ConsentEvent.objects.filter(customer=kept).order_by("pk"))
    other_events = list(ConsentEvent.objects.filter(customer=other).order_by("pk"))
    kept_state = derive_state(status=Status.ACTIVE, events=kept_events)
    other_state = derive_state(status=Status.ACTIVE, events=other_events)
    grants: list[_Carried] = []
    noes: list[_Carried] = []
    for channel in Channel:
        kept_last, other_last = _last(kept_events, channel), _last(other_events, channel)
        if other_last is not None and other_last.kind == EventKind.WITHDRAWAL:
            if kept_last is None or kept_last.kind != EventKind.WITHDRAWAL:
                noes.append(_Carried(EventKind.WITHDRAWAL, channel, other_last))
            continue
        if channel not in OPT_IN_CHANNELS:
            continue
        if kept_state.channels[channel].reason == Reason.OPT_IN and kept_last is not None:
            later_ban = _ban_after(other_events, kept_last.occurred_at)
            if later_ban is not None and not other_state.banned:
                # A ban in force is carried over below, and cancels the opt-in itself.
                noes.append(_Carried(EventKind.WITHDRAWAL, channel, later_ban))
        elif (
            other_state.channels[channel].reason == Reason.OPT_IN
            and other_last is not None
            and kept_last is None
            and _ban_after(kept_events, other_last.occurred_at) is None
        ):
            grants.append(_Carried(EventKind.GRANT, channel, other_last))
    if other_state.banned and not kept_state.banned:
        last_switch = [event for event in other_events if not event.channel][-1]
        noes.append(_Carried(last_switch.kind, "", last_switch))
    return grants + noes


def _ban_after(events: Iterable[ConsentEvent], moment: datetime.datetime) -> ConsentEvent | None:
    return next(
        (e for e in events if e.kind in BANNING_KINDS and e.occurred_at > moment),
        None,
    )


def _consents_record(
    *, actor: Actor, kept: Customer, other: Customer, carried: list[_Carried]
) -> None:
    """Appends the carried events to the kept record's ledger, each with its audit
    event, and the no's to the replay log (as `consents.services` does), last in the
    merge's transaction: the replay log's file is written before the commit."""
    now = timezone.now()
    for item in carried:
        origin = item.origin
        # A withdrawal that a later ban on the other record forces is the merge's own.
        own = item.kind == EventKind.WITHDRAWAL and origin.kind != EventKind.WITHDRAWAL
        event = consent_event_built(
            actor=actor,
            customer=kept,
            kind=item.kind,
            source=ConsentSource.STAFF if own else origin.source,
            channel=item.channel,
            language=origin.language,
            text=origin.text if item.kind == EventKind.GRANT else None,
            order=origin.order if origin.order_id and not own else None,
            ip_address=None if own else origin.ip_address,
            user_agent="" if own else origin.user_agent,
            # When the person said it; a forced withdrawal happens now.
            occurred_at=now if own else origin.occurred_at,
        )
        event.save(force_insert=True)
        fields = consent_event_audit_fields(event)
        fields["reason"] += (
            f"; carried over from customer {other.customer_number} by a merge"
            if not own
            else f"; an opt-in cancelled by a later ban on customer {other.customer_number}, "
            "merged into this one"
        )
        audit_record(actor=actor, **fields)
        if item.kind != EventKind.GRANT:
            act_record(
                customer=kept,
                kind=item.kind,
                channel=item.channel,
                source=event.source,
                done_at=now,
            )


# The merge ------------------------------------------------------------------------


def _values_chosen(
    kept: Customer, other: Customer, choices: Mapping[str, Choice]
) -> tuple[dict[str, str], list[str]]:
    """The kept record's new values, cleaned as an edit cleans them, and the names of
    the fields whose value comes from the other record."""
    unknown = set(choices) - set(MERGE_FIELDS)
    if unknown or set(choices.values()) - {"kept", "other"}:
        raise ValueError(f"unknown merge choices: {sorted(unknown) or sorted(choices.values())}")
    raw = {
        name: str(getattr(other if choices.get(name) == "other" else kept, name))
        for name in MERGE_FIELDS
    }
    try:
        values, _code = customer_input_clean(CustomerInput(**raw), "")
    except ValidationError as error:
        messages = "; ".join(str(message) for message in error.messages)
        raise MergeRefused(NOT_VALID % {"errors": messages}) from None
    from_other = [
        name
        for name in MERGE_FIELDS
        if choices.get(name) == "other" and raw[name] != str(getattr(kept, name))
    ]
    return values, from_other


def _locked_pair(kept: Customer, other: Customer) -> tuple[Customer, Customer]:
    """Both records, locked in the order of their ids (two merges never wait for each
    other round a loop)."""
    rows = {
        row.pk: row
        for row in Customer.objects.select_for_update()
        .filter(pk__in=[kept.pk, other.pk])
        .order_by("pk")
    }
    return rows[kept.pk], rows[other.pk]


def _moves_audit(
    *, actor: Actor, kept: Customer, other: Customer, moved: dict[str, list[models.Model]]
) -> None:
    """One event for each row moved, on the kept customer."""
    keys = SubjectKeys().load([kept.pk])
    audit_records_insert(
        audit_event_build(
            actor=actor,
            action=Action.UPDATE,
            obj=row,
            customer=kept,
            changed_fields=["merged_into" if isinstance(row, Customer) else "customer"],
            reason=f"moved from customer {other.customer_number} by a merge",
            keys=keys,
        )
        for rows in moved.values()
        for row in rows
    )


def _move(kept: Customer, other: Customer) -> dict[str, list[models.Model]]:
    """Moves what `_moving` names to the kept record; returns the rows moved."""
    moved: dict[str, list[models.Model]] = {}
    for name, rows in _moving(kept, other).items():
        found = list(rows.only("pk"))
        if not found:
            continue
        moved[name] = found
        model = rows.model
        ids = [row.pk for row in found]
        if model is Customer:
            model.objects.filter(pk__in=ids).update(merged_into=kept)
            continue
        changes: dict[str, object] = {"customer": kept}
        if any(field.name == "version" for field in model._meta.concrete_fields):
            # A page opened on the row before the merge shows its old customer.
            changes["version"] = models.F("version") + 1
        model._default_manager.filter(pk__in=ids).update(**changes)
    return moved


def _pointer_make(other: Customer, kept: Customer, now: datetime.datetime) -> None:
    """Clears the other record's own data (the kept record has what was chosen of it)
    and points it at the kept record."""
    name = f"{MERGED_NAME} {other.customer_number}"
    other.surname = name
    other.first_names = ""
    other.street_address = other.postal_code = other.post_office = ""
    other.phone = other.email = other.notes = ""
    other.identity_code_encrypted = other.identity_code_index = ""
    other.name_key = fi.name_key(name)
    other.status = Status.MERGED
    other.merged_into = kept
    other.merged_at = now
    other.updated_at = now
    version_bump(other)
    other.full_clean(exclude=["first_names"], validate_unique=False, validate_constraints=False)
    other.save()


POINTER_CLEARED_FIELDS = (
    "surname",
    "first_names",
    "street_address",
    "postal_code",
    "post_office",
    "phone",
    "email",
    "notes",
    "identity_code",
    "status",
    "merged_into",
)


def customer_merge(
    *,
    actor: Actor,
    kept: Customer,
    other: Customer,
    choices: Mapping[str, Choice],
    expected_versions: tuple[int, int] | None = None,
) -> Customer:
    """Merges `other` into `kept`, two records of one person, and returns the kept
    customer as stored.

    `choices` says for each of `MERGE_FIELDS` whose value the kept record gets
    ("kept" when left out). The other record's identity code goes to the kept record
    when only it has one. Orders (with their deliveries, returns, credit checks and
    confirmations), subject requests, disclosures, legal holds, breach notices,
    campaign messages, held changes and shop deliveries move (`RELATIONS`); the
    consents become the stricter of the two (`_consents_carried`); the other record
    becomes a pointer to the kept one. One transaction: one audit event on each
    record, one for each row moved, and the consent events' own.

    Raises MergeRefused (nothing changed) for a record merged into itself, an erased,
    merged or restricted record, a change waiting for the privacy officer, identity
    codes that differ, values that make no valid record, or a record changed since
    `expected_versions` (kept's, other's) was read. ValueError for unknown choices."""
    with audited_transaction():
        if kept.pk == other.pk:
            raise MergeRefused(SAME_RECORD)
        kept, other = _locked_pair(kept, other)
        if expected_versions is not None and (kept.version, other.version) != tuple(
            expected_versions
        ):
            raise MergeRefused(CHANGED_MEANWHILE)
        blockers = _blockers(kept, other)
        if blockers:
            raise MergeRefused(blockers[0])
        values, from_other = _values_chosen(kept, other, choices)
        code = _identity_code_moving(kept, other)
        carried = _consents_carried(kept=kept, other=other)
        now = timezone.now()

        moved = _move(kept, other)
        _pointer_make(other, kept, now)
        for name, value in values.items():
            setattr(kept, name, value)
        if code:
            ring = crypto.keyring()
            kept.identity_code_encrypted = identity_code_encrypt(ring, kept, code)
            kept.identity_code_index = ring.blind_index(code, purpose=IDENTITY_CODE_PURPOSE)
            from_other.append("identity_code")
        changed = list(from_other)
        if other.created_at < kept.created_at:
            # The relationship with the person began with the other record.
            kept.created_at, kept.source = other.created_at, other.source
            changed += ["created_at", "source"]
        kept.last_activity_at = max(kept.last_activity_at, other.last_activity_at)
        kept.name_key = fi.name_key(f"{kept.surname} {kept.first_names}")
        kept.updated_at = now
        version_bump(kept)
        kept.full_clean(validate_unique=False, validate_constraints=False)
        kept.save()

        counts = ", ".join(f"{name} {len(rows)}" for name, rows in moved.items()) or "nothing"
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=kept,
            customer=kept,
            changed_fields=[*changed, "merged_records"],
            reason=f"customer {other.customer_number} merged into this one; values taken "
            f"from it: {', '.join(from_other) or 'none'}; moved: {counts}",
        )
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=other,
            customer=other,
            changed_fields=POINTER_CLEARED_FIELDS,
            reason=f"merged into customer {kept.customer_number}",
        )
        _moves_audit(actor=actor, kept=kept, other=other, moved=moved)
        # Last: the replay log's file is written before the commit.
        _consents_record(actor=actor, kept=kept, other=other, carried=carried)
    return kept
