"""Reads of customer imports: a staff member's own imports, the columns and first rows
of a file, and the report."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from rekisteri import fi
from rekisteri.accounts.models import User
from rekisteri.imports.files import FileUnreadable, file_read
from rekisteri.imports.mapping import Target
from rekisteri.imports.models import CustomerImport, ImportRow, RowStatus
from rekisteri.spreadsheets import table_rows

LIST_LIMIT = 50
PREVIEW_ROWS = 10
MASK = "••••••-••••"


@dataclass(frozen=True)
class Column:
    index: int
    name: str
    example: str  # from the first row under the header


@dataclass(frozen=True)
class Preview:
    targets: list[Target]
    rows: list[tuple[int, list[str]]]


def customer_imports_of(*, user: User) -> QuerySet[CustomerImport]:
    """The staff member's own imports, newest first."""
    return CustomerImport.objects.filter(created_by=user).order_by("-created_at")[:LIST_LIMIT]


def customer_import_for(*, user: User, public_id: uuid.UUID) -> CustomerImport | None:
    """An import of the staff member's own; None for another's (the file is theirs)."""
    return CustomerImport.objects.filter(public_id=public_id, created_by=user).first()


def _masked(value: str, *, identity_code: bool) -> str:
    """A cell as a page shows it: an identity code never, from its column or any other
    that holds one."""
    if value and (identity_code or fi.IDENTITY_CODE.search(value.upper())):
        return MASK
    return value


def customer_import_columns(customer_import: CustomerImport) -> list[Column]:
    """The file's columns by their header, each with an example; [] once the file is gone."""
    try:
        rows = table_rows(file_read(customer_import))
    except FileUnreadable:
        return []
    _number, header = next(rows)
    _number, first = next(rows)
    hidden = customer_import.mapping.get(Target.IDENTITY_CODE)
    return [
        Column(
            index,
            name.strip(),
            _masked(
                first[index].strip() if index < len(first) else "", identity_code=index == hidden
            ),
        )
        for index, name in enumerate(header)
    ]


def customer_import_preview(customer_import: CustomerImport) -> Preview | None:
    """The first rows under the header as the mapping reads them; None once the file
    is gone or before any column is matched."""
    mapping = customer_import.mapping
    if not mapping:
        return None
    try:
        rows = table_rows(file_read(customer_import))
    except FileUnreadable:
        return None
    next(rows)
    targets = [target for target in Target if target in mapping]
    shown = []
    for number, cells in itertools.islice(rows, PREVIEW_ROWS):
        values = [
            cells[mapping[target]].strip() if mapping[target] < len(cells) else ""
            for target in targets
        ]
        masked = [
            _masked(value, identity_code=target == Target.IDENTITY_CODE)
            for target, value in zip(targets, values, strict=True)
        ]
        shown.append((number, masked))
    return Preview(targets, shown)


def customer_import_report(
    customer_import: CustomerImport, *, problems_only: bool = False
) -> QuerySet[ImportRow]:
    rows = ImportRow.objects.filter(customer_import=customer_import)
    if problems_only:
        rows = rows.exclude(status=RowStatus.OK)
    return rows.order_by("number")
