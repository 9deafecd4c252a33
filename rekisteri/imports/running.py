"""What the worker does for an import (`imports.tasks`): the dry run and the import
of a file's rows, and the deletion of a file nobody imported in time.

Both runs go through the rows one at a time, each in its own transaction, with the
same code: `customer_create` (source "import"), then the consents whose evidence holds
and the ban. A dry run rolls each row's transaction back, so its verdict is the
import's, length limits, duplicates and database constraints included; the import
commits it, with the row's line of the report. A row repeating an earlier row's
email, phone or identity code is refused as a likely duplicate in both.

The reasons are recorded in the source language (`translation.override(None)`) and
translated when shown (`rows.problem_text`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from rekisteri.audit.models import Action, ActorType
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.consents.services import consent_grant, marketing_ban
from rekisteri.customers.models import Customer, Source
from rekisteri.customers.services import DuplicateCustomer, customer_create
from rekisteri.imports.files import FileUnreadable, file_read
from rekisteri.imports.mapping import Target
from rekisteri.imports.models import (
    ENDED,
    CustomerImport,
    ImportedConsent,
    ImportRow,
    ImportStatus,
    RowStatus,
)
from rekisteri.imports.rows import (
    DUPLICATE_IN_FILE,
    DUPLICATE_IN_REGISTER,
    Problem,
    RowInput,
    duplicate_keys,
    row_input,
)
from rekisteri.spreadsheets import table_rows

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "customer import"
PROGRESS_EVERY = 25
# consents.models.Source has no "import": an imported consent is recorded as staff
# recording it, the staff member who ran the import as its recorder, and its evidence
# in `ImportedConsent` (docs/import.md).
CONSENT_SOURCE = ConsentSource.STAFF


class _Stopped(Exception):
    """The import was discarded or expired while it ran."""


class _Undone(Exception):
    """A dry run's row, rolled back; `outcome` is what the import would have done."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("dry run")
        self.outcome = outcome


@dataclass(frozen=True)
class Outcome:
    status: str
    problems: tuple[Problem, ...] = ()
    consents: int = 0


@dataclass
class Tally:
    done: int = 0
    ok: int = 0
    with_remarks: int = 0
    refused: int = 0
    consents: int = 0
    # (field, normalised value) -> the row that had it first.
    seen: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.done += 1
        self.consents += outcome.consents
        if outcome.status == RowStatus.OK:
            self.ok += 1
        elif outcome.status == RowStatus.REMARKS:
            self.with_remarks += 1
        else:
            self.refused += 1

    def counts(self) -> dict[str, int]:
        return {
            "rows_done": self.done,
            "rows_ok": self.ok,
            "rows_with_remarks": self.with_remarks,
            "rows_refused": self.refused,
            "consents_imported": self.consents,
        }


def import_actor(customer_import: CustomerImport) -> Actor:
    """Who the rows are written as: the staff member who uploaded the file (the only one
    who can start its import), or the system for the command line."""
    user = customer_import.created_by
    if user is None:
        return Actor.system(SYSTEM_LABEL)
    return Actor(type=ActorType.STAFF, user=user, label=user.get_username())


def customer_import_run(*, import_id: int, dry_run: bool) -> None:
    """Runs a queued dry run or import once; nothing when it is not queued (discarded,
    or run already)."""
    phase = ImportStatus.CHECKING if dry_run else ImportStatus.IMPORTING
    with audited_transaction():
        current = CustomerImport.objects.select_for_update().filter(pk=import_id).first()
        if current is None or current.status != phase or current.run_started_at is not None:
            return
        current.run_started_at = timezone.now()
        current.save(update_fields=["run_started_at"])
    try:
        raw = file_read(current)
    except FileUnreadable:
        _fail(current, phase, "the file could not be decrypted")
        return
    customer_import_rows_run(
        customer_import=current, raw=raw, dry_run=dry_run, actor=import_actor(current)
    )


def customer_import_rows_run(
    *, customer_import: CustomerImport, raw: bytes, dry_run: bool, actor: Actor
) -> None:
    """Goes through the rows of `raw` (the file, read and checked at upload) with the
    import's mapping: a dry run or the import. Progress is saved as it goes; the run
    stops when the import is discarded or expires meanwhile."""
    phase = ImportStatus.CHECKING if dry_run else ImportStatus.IMPORTING
    tally = Tally()
    try:
        with translation.override(None):
            if customer_import.rows_total is None:
                # Read once more just to count, so that the progress has a total.
                total = sum(1 for _row in table_rows(raw)) - 1
                _progress_save(customer_import, phase, rows_total=total)
            today = timezone.localdate()
            rows = table_rows(raw)
            next(rows)  # the header
            for number, cells in rows:
                row = row_input(number, cells, customer_import.mapping, today=today)
                tally.add(_row_run(customer_import, row, actor=actor, dry_run=dry_run, tally=tally))
                if tally.done % PROGRESS_EVERY == 0:
                    _progress_save(customer_import, phase, **tally.counts())
    except _Stopped:
        return
    except Exception:
        logger.exception("customer import %s stopped by an error", customer_import.pk)
        _fail(customer_import, phase, "stopped by an error")
        raise
    _finish(customer_import, phase, tally)


def _row_run(
    customer_import: CustomerImport, row: RowInput, *, actor: Actor, dry_run: bool, tally: Tally
) -> Outcome:
    """One row: refused, or written (and, in a dry run, rolled back), with its line of
    the report."""
    keys = duplicate_keys(row)
    problems = row.problems or tuple(
        Problem(target, DUPLICATE_IN_FILE, row=tally.seen[target, value])
        for target, value in keys
        if (target, value) in tally.seen
    )
    if problems:
        outcome = Outcome(RowStatus.REFUSED, problems)
    else:
        outcome = _row_try(customer_import, row, keys=keys, actor=actor, dry_run=dry_run)
        if outcome.status != RowStatus.REFUSED:
            for key in keys:
                tally.seen.setdefault(key, row.number)
    if dry_run or outcome.status == RowStatus.REFUSED:
        _report_line_save(customer_import, row.number, outcome)
    return outcome


def _row_try(
    customer_import: CustomerImport,
    row: RowInput,
    *,
    keys: list[tuple[str, str]],
    actor: Actor,
    dry_run: bool,
) -> Outcome:
    try:
        with audited_transaction():
            outcome = _row_write(customer_import, row, actor=actor)
            if dry_run:
                raise _Undone(outcome)
            # The customer and the row's line of the report commit together.
            _report_line_save(customer_import, row.number, outcome)
            return outcome
    except _Undone as undone:
        return undone.outcome
    except ValidationError as error:
        return Outcome(RowStatus.REFUSED, _problems_of(error))
    except DuplicateCustomer as duplicate:
        return Outcome(RowStatus.REFUSED, _duplicates(keys, duplicate.candidates))


def _row_write(customer_import: CustomerImport, row: RowInput, *, actor: Actor) -> Outcome:
    customer = customer_create(
        actor=actor, data=row.data, source=Source.IMPORT, identity_code=row.identity_code
    )
    for channel, evidence in row.consents:
        event = consent_grant(
            actor=actor, customer=customer, channel=channel, source=CONSENT_SOURCE
        )
        imported = ImportedConsent(
            consent_event=event, customer_import=customer_import, evidence=evidence
        )
        imported.full_clean(exclude=["consent_event", "customer_import"])
        imported.save(force_insert=True)
    # After the consents: a ban cancels the opt-ins given before it.
    if row.banned:
        marketing_ban(actor=actor, customer=customer, source=CONSENT_SOURCE)
    status = RowStatus.REMARKS if row.remarks else RowStatus.OK
    return Outcome(status, row.remarks, consents=len(row.consents))


def _problems_of(error: ValidationError) -> tuple[Problem, ...]:
    if not hasattr(error, "error_dict"):
        return tuple(Problem("", str(message)) for message in error.messages)
    return tuple(
        Problem(name if name in Target.values else "", str(message))
        for name, messages in error.message_dict.items()
        for message in messages
    )


def _duplicates(keys: list[tuple[str, str]], candidates: list[Customer]) -> tuple[Problem, ...]:
    """The fields a customer already in the register shares with the row. The
    candidates carry no identity code: one that shares neither email nor phone shares
    the identity code."""
    values = dict(keys)
    shared = [
        target
        for target in (Target.EMAIL, Target.PHONE)
        if values.get(target) and any(getattr(c, target) == values[target] for c in candidates)
    ]
    if not shared:
        shared = [Target.IDENTITY_CODE]
    return tuple(Problem(target, DUPLICATE_IN_REGISTER) for target in shared)


def _report_line_save(customer_import: CustomerImport, number: int, outcome: Outcome) -> None:
    ImportRow.objects.create(
        customer_import=customer_import,
        number=number,
        status=outcome.status,
        problems=[problem.as_json() for problem in outcome.problems],
    )


def _progress_save(customer_import: CustomerImport, phase: str, **counts: Any) -> None:
    saved = CustomerImport.objects.filter(pk=customer_import.pk, status=phase).update(**counts)
    if not saved:
        raise _Stopped
    for name, value in counts.items():
        setattr(customer_import, name, value)


def _finish(customer_import: CustomerImport, phase: str, tally: Tally) -> None:
    with audited_transaction():
        current = CustomerImport.objects.select_for_update().get(pk=customer_import.pk)
        if current.status != phase:
            return
        for name, value in tally.counts().items():
            setattr(current, name, value)
        current.finished_at = timezone.now()
        if phase == ImportStatus.CHECKING:
            current.status = ImportStatus.CHECKED
            reason = "dry run done"
            changed = ["status"]
        else:
            current.status = ImportStatus.IMPORTED
            current.file_encrypted = ""
            reason = "imported, the file deleted"
            changed = ["status", "file"]
        current.save()
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            changed_fields=changed,
            reason=f"{reason}: {tally.done} rows, {tally.ok} OK, {tally.with_remarks} with "
            f"remarks, {tally.refused} refused, {tally.consents} consents",
        )


def _fail(customer_import: CustomerImport, phase: str, why: str) -> None:
    """Ends an import that cannot go on; its file is deleted. What was imported stays."""
    with audited_transaction():
        current = CustomerImport.objects.select_for_update().get(pk=customer_import.pk)
        if current.status != phase:
            return
        current.status = ImportStatus.FAILED
        current.file_encrypted = ""
        current.finished_at = timezone.now()
        current.save()
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            changed_fields=["status", "file"],
            reason=f"failed: {why}; the file deleted",
        )


def customer_import_expire(*, import_id: int) -> None:
    """Deletes the file of an import nobody finished in time (`FILE_KEPT_FOR` after the
    upload), whatever its state: a run still under way stops at its next progress save."""
    with audited_transaction():
        current = CustomerImport.objects.select_for_update().filter(pk=import_id).first()
        if current is None or current.status in ENDED:
            return
        current.status = ImportStatus.EXPIRED
        current.file_encrypted = ""
        current.finished_at = timezone.now()
        current.save()
        audit_record(
            actor=Actor.system(SYSTEM_LABEL),
            action=Action.UPDATE,
            obj=current,
            changed_fields=["status", "file"],
            reason="expired: the file deleted",
        )
