"""The post campaign's address list as CSV text, written in chunks for streaming."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

ROWS_PER_CHUNK = 2000
# First characters that make a spreadsheet read a cell as a formula (OWASP "CSV
# injection"). A leading quote defuses it; names and addresses almost never start so.
# Postal codes and country codes are validated and never do.
FORMULA_STARTS = frozenset("=+-@\t\r")


def header() -> list[str]:
    return [_("Name"), _("Street address"), _("Postal code"), _("Post office"), _("Country")]


def address_csv_header_line() -> str:
    """The header as the first line of a file whose rows PostgreSQL writes (lines end
    in a bare newline there)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(header())
    return buffer.getvalue()


def address_csv(rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    """CSV text for `rows` of (first names, surname, street address, postal code, post
    office, country), the header first, a few thousand lines per chunk: one write per
    row would cost more than the database read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header())
    pending = 0
    for first_names, surname, street_address, postal_code, post_office, country in rows:
        name = f"{first_names} {surname}"
        # Inline, not a helper per cell: this loop runs a million times an export.
        if name[:1] in FORMULA_STARTS:
            name = "'" + name
        if street_address[:1] in FORMULA_STARTS:
            street_address = "'" + street_address
        if post_office[:1] in FORMULA_STARTS:
            post_office = "'" + post_office
        writer.writerow((name, street_address, postal_code, post_office, country))
        pending += 1
        if pending == ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()
