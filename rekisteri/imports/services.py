"""Writes of customer imports (docs/import.md): the upload, the mapping of columns, the
dry run and the import put in the queue, discarding; and the whole import at once
for the command line. Each validates first, then writes with its audit event in one
transaction. The rows themselves are `running`'s."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.imports.files import FileUnreadable, file_read, file_sealed
from rekisteri.imports.mapping import mapping_check, mapping_described, mapping_guess
from rekisteri.imports.models import CustomerImport, ImportStatus
from rekisteri.imports.running import customer_import_rows_run
from rekisteri.imports.tasks import expire_customer_import, run_customer_import
from rekisteri.spreadsheets import file_format, table_rows

MAX_FILE_BYTES = 20 * 1024 * 1024
# An uploaded file is deleted at the latest this long after the upload, imported or not.
FILE_KEPT_FOR = datetime.timedelta(hours=24)
MAPPABLE = (ImportStatus.MAPPING, ImportStatus.READY, ImportStatus.CHECKED)


def file_header(raw: bytes) -> list[str]:
    """The header row of a file `file_checked` accepted."""
    return next(table_rows(raw))[1]


def file_checked(raw: bytes) -> str:
    """The file's format, once it is known to hold a header row and a row under it.
    Raises ValidationError with a message for the uploader."""
    if not raw:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is larger than %(megabytes)s MB.") % {"megabytes": MAX_FILE_BYTES >> 20},
            code="size",
        )
    kind = file_format(raw)
    rows = table_rows(raw)
    if next(rows, None) is None:
        raise ValidationError(_("The file is empty."), code="empty")
    if next(rows, None) is None:
        raise ValidationError(
            _("The file has a header row but no customers under it."), code="no_rows"
        )
    return kind


def _read(file: IO[bytes]) -> bytes:
    return file.read(MAX_FILE_BYTES + 1)


def customer_import_upload(*, actor: Actor, file: IO[bytes]) -> CustomerImport:
    """Stores an uploaded customer file, encrypted, with the columns guessed from its
    header row. A file that cannot be read stores nothing (ValidationError). The file is
    deleted when its import ends, or FILE_KEPT_FOR after the upload at the latest."""
    raw = _read(file)
    kind = file_checked(raw)
    now = timezone.now()
    with audited_transaction():
        customer_import = CustomerImport(
            created_by=actor.user,
            created_at=now,
            status=ImportStatus.MAPPING,
            file_format=kind,
            file_size=len(raw),
            file_expires_at=now + FILE_KEPT_FOR,
            mapping=mapping_guess(file_header(raw)),
        )
        customer_import.file_encrypted = file_sealed(raw, customer_import=customer_import)
        customer_import.full_clean(exclude=["created_by"], validate_constraints=False)
        customer_import.save(force_insert=True)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=customer_import,
            changed_fields=["file"],
            reason=f"customer file uploaded: {kind}, {len(raw)} bytes",
        )
        pk, expires = customer_import.pk, customer_import.file_expires_at
        transaction.on_commit(lambda: expire_customer_import.using(run_after=expires).enqueue(pk))
    return customer_import


def _locked(customer_import: CustomerImport) -> CustomerImport:
    return CustomerImport.objects.select_for_update().get(pk=customer_import.pk)


def _results_cleared(customer_import: CustomerImport) -> None:
    customer_import.rows.all().delete()
    customer_import.rows_done = 0
    customer_import.rows_ok = 0
    customer_import.rows_with_remarks = 0
    customer_import.rows_refused = 0
    customer_import.consents_imported = 0
    customer_import.run_started_at = None
    customer_import.finished_at = None


def customer_import_map(
    *, actor: Actor, customer_import: CustomerImport, mapping: Mapping[str, int]
) -> CustomerImport:
    """Sets which column is imported as which field (`mapping.Target` -> column index).
    A dry run done with other columns no longer counts."""
    try:
        columns = len(file_header(file_read(customer_import)))
    except FileUnreadable:
        raise ValidationError(_("The file of this import has been deleted.")) from None
    mapping_check(mapping, columns=columns)
    with audited_transaction():
        current = _locked(customer_import)
        if current.status not in MAPPABLE or not current.has_file:
            raise ValidationError(_("The columns of this import can no longer be changed."))
        current.mapping = dict(mapping)
        current.status = ImportStatus.READY
        current.rows_total = None
        _results_cleared(current)
        current.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            changed_fields=["mapping"],
            reason=f"columns matched: {mapping_described(mapping)}",
        )
    return current


def customer_import_check(*, actor: Actor, customer_import: CustomerImport) -> CustomerImport:
    """Queues the dry run: every row checked as the import would check it, nothing kept."""
    with audited_transaction():
        current = _locked(customer_import)
        if current.status not in (ImportStatus.READY, ImportStatus.CHECKED) or not current.has_file:
            raise ValidationError(_("The dry run cannot be started now."))
        _run_queue(actor=actor, current=current, dry_run=True, reason="dry run queued")
    return current


def _run_queue(*, actor: Actor, current: CustomerImport, dry_run: bool, reason: str) -> None:
    """Starts a run afresh (inside the caller's transaction) and queues it for the worker
    once that commits."""
    current.status = ImportStatus.CHECKING if dry_run else ImportStatus.IMPORTING
    _results_cleared(current)
    current.save()
    audit_record(
        actor=actor, action=Action.UPDATE, obj=current, changed_fields=["status"], reason=reason
    )
    pk = current.pk
    transaction.on_commit(lambda: run_customer_import.enqueue(pk, dry_run))


def customer_import_start(*, actor: Actor, customer_import: CustomerImport) -> CustomerImport:
    """Queues the import of the rows, after a dry run with the same columns."""
    with audited_transaction():
        current = _locked(customer_import)
        if current.status != ImportStatus.CHECKED or not current.has_file:
            raise ValidationError(_("Run the dry run first."))
        if not current.rows_ok + current.rows_with_remarks:
            raise ValidationError(_("The dry run found no row that can be imported."))
        reason = f"import queued: {current.rows_total} rows"
        _run_queue(actor=actor, current=current, dry_run=False, reason=reason)
    return current


def customer_import_discard(*, actor: Actor, customer_import: CustomerImport) -> CustomerImport:
    """Gives up an import that has not run: its file is deleted at once."""
    with audited_transaction():
        current = _locked(customer_import)
        if current.status not in MAPPABLE:
            raise ValidationError(
                _("Only an import that is not under way or done can be discarded.")
            )
        current.status = ImportStatus.DISCARDED
        current.file_encrypted = ""
        current.finished_at = timezone.now()
        current.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current,
            changed_fields=["status", "file"],
            reason="discarded, the file deleted",
        )
    return current


def customer_import_preview_record(*, actor: Actor, customer_import: CustomerImport) -> None:
    """Showing rows of the file (its preview, examples of its columns) is a read of
    personal data: audited like one."""
    audit_record(
        actor=actor,
        action=Action.VIEW,
        obj=customer_import,
        reason="rows of the uploaded file shown",
    )


def customer_file_import(
    *, actor: Actor, raw: bytes, mapping: Mapping[str, int] | None, dry_run: bool
) -> CustomerImport:
    """The command line's import: the file read, checked and run at once, in this
    process; the file itself is never stored. `mapping` None guesses it from the header
    row. Raises ValidationError for a file or mapping that cannot be used."""
    kind = file_checked(raw)
    mapping = mapping_guess(file_header(raw)) if mapping is None else mapping
    mapping_check(mapping, columns=len(file_header(raw)))
    phase = "a dry run" if dry_run else "an import"
    now = timezone.now()
    with audited_transaction():
        customer_import = CustomerImport(
            created_by=None,
            created_at=now,
            status=ImportStatus.CHECKING if dry_run else ImportStatus.IMPORTING,
            file_format=kind,
            file_size=len(raw),
            file_expires_at=now,
            mapping=dict(mapping),
            run_started_at=now,
        )
        customer_import.full_clean(exclude=["created_by"], validate_constraints=False)
        customer_import.save(force_insert=True)
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=customer_import,
            changed_fields=["mapping"],
            reason=f"customer file read from the command line for {phase}: {kind}, "
            f"{len(raw)} bytes; columns matched: {mapping_described(mapping)}",
        )
    customer_import_rows_run(customer_import=customer_import, raw=raw, dry_run=dry_run, actor=actor)
    customer_import.refresh_from_db()
    return customer_import
