"""The report of a dry run or an import, for the page and as a CSV file: row numbers,
statuses, the fields at fault and why. Never a value of the file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from rekisteri.imports.models import ImportRow
from rekisteri.imports.rows import field_label, problem_text

ROWS_PER_CHUNK = 1000
# Excel opens UTF-8 with a byte order mark as UTF-8, and ';' in a Finnish locale as columns.
BOM = "\ufeff"
DELIMITER = ";"


@dataclass(frozen=True)
class ReportLine:
    number: int
    status: str
    problems: list[tuple[str, str]]  # (field's label or "", reason)


def report_lines(rows: Iterable[ImportRow]) -> list[ReportLine]:
    """The rows in the active language."""
    return [
        ReportLine(
            row.number,
            row.get_status_display(),
            [(field_label(p["field"]), problem_text(p)) for p in row.problems],
        )
        for row in rows
    ]


def report_csv(rows: Iterable[ImportRow]) -> Iterator[str]:
    """The report as CSV text, a chunk at a time: one line per problem of a row, one
    line for a row without any."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([_("Row"), _("Status"), _("Field"), _("Reason")])
    for count, row in enumerate(rows, start=1):
        for line in report_lines([row]):
            for label, reason in line.problems or [("", "")]:
                writer.writerow([line.number, line.status, label, reason])
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
