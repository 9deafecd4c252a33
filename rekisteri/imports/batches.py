"""A batch of rows of a file, the unit of the dry run and the import (`imports.running`).

Each row is checked in memory as `customer_create`, `consent_grant` and
`marketing_ban` check one customer (the same cleaning, the same model validation, the
same messages), and against the register for likely duplicates with one query for the
whole batch. The dry run stops there and stores only the batch's lines of the report.
The import then stores the batch's customers, consents and their evidence, their audit
events and the lines of the report in one transaction, a statement per table: the
batch is stored whole or not at all. A batch the database refuses is refused row by
row (`rows.BATCH_FAILED`) and the run goes on with the next one.

The checks come in the order the single-row services make them, so a row gets the
same verdict and reasons here as there: the row's own faults (`rows.row_input`), an
earlier row of the file with the same email, phone or identity code, the customer's
data, a customer in the register with the same, then the model's limits.

An imported consent is recorded as its evidence says (docs/import.md): given on the
evidence's date, its source "import" (how it reached the register), no wording of
ours (the list does not say which words were shown; the evidence does), the staff
member who ran the import as its recorder, and the evidence with its import in
`ImportedConsent`."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import (
    Actor,
    audit_event_build,
    audit_records_insert,
    audited_transaction,
)
from rekisteri.audit.subject_keys import SubjectKeys
from rekisteri.consents.models import ConsentEvent, EventKind
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.consents.services import consent_event_audit_fields, consent_event_built
from rekisteri.customers.models import Customer, CustomerNumberCounter, Source
from rekisteri.customers.selectors import TakenValues, customer_values_taken
from rekisteri.customers.services import (
    customer_built,
    customer_created_fields,
    customer_input_clean,
    identity_code_indexes,
)
from rekisteri.imports.mapping import Target
from rekisteri.imports.models import CustomerImport, ImportedConsent, ImportRow, RowStatus
from rekisteri.imports.rows import (
    BATCH_FAILED,
    DUPLICATE_IN_FILE,
    DUPLICATE_IN_REGISTER,
    Problem,
    RowInput,
    duplicate_keys,
    evidence_given_on,
)
from rekisteri.inserts import rows_insert
from rekisteri.running_numbers import running_numbers_reserve

logger = logging.getLogger(__name__)

# Rows per batch: a transaction of the import. Big enough that the statements per
# batch cost little per row, small enough that a batch holds the customer number
# counter (and, on SQLite, the database) only for a moment.
BATCH_ROWS = 500
# How an imported consent or ban reached the register; where and when the customer
# gave a consent is in its evidence.
CONSENT_SOURCE = ConsentSource.IMPORT

# (field, normalised value) -> the number of the row that had it first.
Seen = dict[tuple[str, str], int]


@dataclass(frozen=True)
class Outcome:
    status: str
    problems: tuple[Problem, ...] = ()
    consents: int = 0


@dataclass
class _Accepted:
    """A row that passed every check: what the import stores for it."""

    number: int
    customer: Customer
    created_fields: list[str]
    consents: list[tuple[ConsentEvent, str]]  # (event, evidence)
    ban: ConsentEvent | None

    @property
    def events(self) -> list[ConsentEvent]:
        """The row's consent events in the order they are given."""
        return [event for event, _evidence in self.consents] + ([self.ban] if self.ban else [])


@dataclass
class BatchResult:
    outcomes: list[tuple[int, Outcome]]  # (row number, outcome), in the file's order
    accepted: list[_Accepted] = field(default_factory=list)


def batch_check(rows: list[RowInput], *, actor: Actor, seen: Seen) -> BatchResult:
    """The verdict on each row of the batch, nothing written; the accepted rows' keys
    are added to `seen`, for the rows after them."""
    cleaned: list[tuple[dict[str, str], str, tuple[Problem, ...]]] = []
    for row in rows:
        try:
            values, compact = customer_input_clean(row.data, row.identity_code)
            cleaned.append((values, compact, ()))
        except ValidationError as error:
            cleaned.append(({}, "", problems_of(error)))
    indexes = {compact: identity_code_indexes(compact) for _v, compact, _p in cleaned if compact}
    taken = customer_values_taken(
        emails=[values["email"] for values, _c, _p in cleaned if values.get("email")],
        phones=[values["phone"] for values, _c, _p in cleaned if values.get("phone")],
        identity_code_indexes=[index for found in indexes.values() for index in found],
    )
    now = timezone.now()
    result = BatchResult(outcomes=[])
    for row, (values, compact, problems) in zip(rows, cleaned, strict=True):
        keys = _keys(values, compact) if values else duplicate_keys(row)
        problems = (
            row.problems
            or tuple(
                Problem(target, DUPLICATE_IN_FILE, row=seen[target, value])
                for target, value in keys
                if (target, value) in seen
            )
            or problems
            or _in_register(values, indexes.get(compact, []), taken)
        )
        accepted = None
        if not problems:
            try:
                accepted = _accepted(row, values, compact, actor=actor, now=now)
            except ValidationError as error:
                problems = problems_of(error)
        if accepted is None:
            result.outcomes.append((row.number, Outcome(RowStatus.REFUSED, problems)))
            continue
        for key in keys:
            seen.setdefault(key, row.number)
        status = RowStatus.REMARKS if row.remarks else RowStatus.OK
        outcome = Outcome(status, row.remarks, consents=len(row.consents))
        result.outcomes.append((row.number, outcome))
        result.accepted.append(accepted)
    return result


def _keys(values: dict[str, str], compact: str) -> list[tuple[str, str]]:
    """`rows.duplicate_keys` of a row whose data the cleaning accepted: the values it
    normalised, instead of normalising them all over again."""
    pairs = (
        (Target.EMAIL, values["email"]),
        (Target.PHONE, values["phone"]),
        (Target.IDENTITY_CODE, compact),
    )
    return [(target.value, value) for target, value in pairs if value]


def _in_register(
    values: dict[str, str], indexes: list[str], taken: TakenValues
) -> tuple[Problem, ...]:
    """The fields a customer already in the register shares with the row: its email
    and phone, or (when neither) its identity code, as `customer_create` tells them."""
    shared = [
        target
        for target, found in ((Target.EMAIL, taken.emails), (Target.PHONE, taken.phones))
        if values.get(target) and values[target] in found
    ]
    if not shared and any(index in taken.identity_code_indexes for index in indexes):
        shared = [Target.IDENTITY_CODE]
    return tuple(Problem(target, DUPLICATE_IN_REGISTER) for target in shared)


def _accepted(
    row: RowInput,
    values: dict[str, str],
    compact: str,
    *,
    actor: Actor,
    now: datetime.datetime,
) -> _Accepted:
    # The code only told duplicates apart: an import stores none (rows.IDENTITY_CODE_NOT_KEPT).
    customer = customer_built(values=values, compact="", source=Source.IMPORT, now=now)
    consents = [
        (
            consent_event_built(
                actor=actor,
                customer=customer,
                kind=EventKind.GRANT,
                channel=channel,
                source=CONSENT_SOURCE,
                occurred_at=_given_at(evidence),
            ),
            evidence,
        )
        for channel, evidence in row.consents
    ]
    # After the consents: a ban cancels the opt-ins given before it. The list does not
    # say when the ban was set, so it counts from the import.
    ban = None
    if row.banned:
        ban = consent_event_built(
            actor=actor,
            customer=customer,
            kind=EventKind.BAN,
            source=CONSENT_SOURCE,
            occurred_at=now,
        )
    for _event, evidence in consents:
        _evidence_check(evidence)
    return _Accepted(
        number=row.number,
        customer=customer,
        created_fields=customer_created_fields(values, ""),
        consents=consents,
        ban=ban,
    )


def _given_at(evidence: str) -> datetime.datetime:
    """The start of the day the evidence (accepted by `rows.evidence_fault`) names, in
    Finnish time: the list gives a day, not a time."""
    given_on = evidence_given_on(evidence)
    if given_on is None:  # `rows.row_input` keeps no consent without a date
        raise ValueError("evidence without a date")
    return timezone.make_aware(
        datetime.datetime.combine(given_on, datetime.time.min), timezone.get_default_timezone()
    )


_EVIDENCE = ImportedConsent._meta.get_field("evidence")


def _evidence_check(evidence: str) -> None:
    """What the model's `full_clean` checks of an `ImportedConsent` the import makes:
    its evidence (the consent event and the import are the batch's own)."""
    try:
        _EVIDENCE.clean(evidence, None)
    except ValidationError as error:
        raise ValidationError({_EVIDENCE.name: error.error_list}) from None


def problems_of(error: ValidationError) -> tuple[Problem, ...]:
    if not hasattr(error, "error_dict"):
        return tuple(Problem("", str(message)) for message in error.messages)
    return tuple(
        Problem(name if name in Target.values else "", str(message))
        for name, messages in error.message_dict.items()
        for message in messages
    )


def batch_store(
    customer_import: CustomerImport, result: BatchResult, *, actor: Actor, seen: Seen
) -> list[tuple[int, Outcome]]:
    """Stores the accepted rows of a checked batch and the batch's lines of the report
    together (a savepoint of the caller's transaction), and returns the outcomes. When
    the database refuses, nothing of the batch is stored but its report, which refuses
    the rows that were to be stored; their keys leave `seen`."""
    try:
        with audited_transaction():
            _accepted_store(customer_import, result.accepted, actor=actor)
            report_lines_store(customer_import, result.outcomes)
        return result.outcomes
    except DatabaseError as error:
        # The error's class only: a database's message may quote a value of the row.
        logger.error(
            "customer import %s: a batch of %s rows could not be stored (%s)",
            customer_import.pk,
            len(result.accepted),
            type(error).__name__,
        )
    failed_rows = {accepted.number for accepted in result.accepted}
    for key in [key for key, number in seen.items() if number in failed_rows]:
        del seen[key]
    failed = Outcome(RowStatus.REFUSED, (Problem("", BATCH_FAILED),))
    outcomes = [(n, failed if n in failed_rows else outcome) for n, outcome in result.outcomes]
    report_lines_store(customer_import, outcomes)
    return outcomes


def _accepted_store(
    customer_import: CustomerImport, accepted: list[_Accepted], *, actor: Actor
) -> None:
    if not accepted:
        return
    customers = [row.customer for row in accepted]
    # Last, to hold the counter (which every new customer waits for) the shortest time.
    numbers = running_numbers_reserve(CustomerNumberCounter, len(customers))
    for customer, number in zip(customers, numbers, strict=True):
        customer.customer_number = number
    rows_insert(customers)
    # In the file's order, each customer's grants before their ban: the ledger's latest
    # event of a channel is its highest id.
    rows_insert([event for row in accepted for event in row.events])
    rows_insert(
        [
            ImportedConsent(consent_event=event, customer_import=customer_import, evidence=evidence)
            for row in accepted
            for event, evidence in row.consents
        ]
    )
    trail: list[AuditEvent] = []
    # The consent events' reasons are encrypted under each customer's own key: made for
    # the whole batch at once rather than one customer at a time.
    keys = SubjectKeys().load(row.customer.pk for row in accepted if row.events)
    for row in accepted:
        trail.append(
            audit_event_build(
                actor=actor,
                action=Action.CREATE,
                obj=row.customer,
                customer=row.customer,
                changed_fields=row.created_fields,
            )
        )
        trail.extend(
            audit_event_build(actor=actor, keys=keys, **consent_event_audit_fields(event))
            for event in row.events
        )
    audit_records_insert(trail)


def report_lines_store(
    customer_import: CustomerImport, outcomes: list[tuple[int, Outcome]]
) -> None:
    rows_insert(
        [
            ImportRow(
                customer_import=customer_import,
                number=number,
                status=outcome.status,
                problems=[problem.as_json() for problem in outcome.problems],
            )
            for number, outcome in outcomes
        ]
    )
