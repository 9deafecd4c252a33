"""What the worker does for an import (`imports.tasks`): the dry run and the import
of a file's rows, and the deletion of a file nobody imported in time.

Both runs go through the rows a batch at a time with the same code
(`imports.batches`): every row checked in memory as `customer_create`, `consent_grant`
and `marketing_ban` would check it, length limits, duplicates in the register and
earlier in the file included. A dry run writes nothing but its report; the import
stores each batch (customers, consents, audit events, the batch's lines of the report
and the progress) in one transaction. A row repeating an earlier row's email, phone
or identity code is refused as a likely duplicate in both.

The reasons are recorded in the source language (`translation.override(None)`) and
translated when shown (`rows.problem_text`)."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone, translation

from rekisteri.audit.models import Action, ActorType
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.imports.batches import (
    BATCH_ROWS,
    Outcome,
    Seen,
    batch_check,
    batch_store,
    report_lines_store,
)
from rekisteri.imports.files import FileUnreadable, file_read
from rekisteri.imports.models import ENDED, CustomerImport, ImportStatus, RowStatus
from rekisteri.imports.rows import RowInput, row_input
from rekisteri.spreadsheets import table_rows

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "customer import"


class _Stopped(Exception):
    """The import was discarded or expired while it ran."""


@dataclass
class Tally:
    done: int = 0
    ok: int = 0
    with_remarks: int = 0
    refused: int = 0
    consents: int = 0
    # (field, normalised value) -> the accepted row that had it first.
    seen: Seen = field(default_factory=dict)

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
    import's mapping: a dry run or the import, `BATCH_ROWS` rows at a time. Progress is
    saved with each batch; the run stops when the import is discarded or expires
    meanwhile, and the batch under way is then not stored."""
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
            while batch := list(itertools.islice(rows, BATCH_ROWS)):
                inputs = [
                    row_input(number, cells, customer_import.mapping, today=today)
                    for number, cells in batch
                ]
                _batch_run(customer_import, inputs, phase=phase, actor=actor, tally=tally)
    except _Stopped:
        return
    except Exception:
        logger.exception("customer import %s stopped by an error", customer_import.pk)
        _fail(customer_import, phase, "stopped by an error")
        raise
    _finish(customer_import, phase, tally)


def _batch_run(
    customer_import: CustomerImport,
    inputs: list[RowInput],
    *,
    phase: str,
    actor: Actor,
    tally: Tally,
) -> None:
    """One batch checked, then stored (the import) or only reported (the dry run), with
    the progress, in one transaction."""
    checked = batch_check(inputs, actor=actor, seen=tally.seen)
    with audited_transaction():
        if phase == ImportStatus.CHECKING:
            outcomes = checked.outcomes
            report_lines_store(customer_import, outcomes)
        else:
            outcomes = batch_store(customer_import, checked, actor=actor, seen=tally.seen)
        for _number, outcome in outcomes:
            tally.add(outcome)
        _progress_save(customer_import, phase, **tally.counts())


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
