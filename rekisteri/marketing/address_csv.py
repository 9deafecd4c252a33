"""The post campaign's address list as CSV text, written in chunks for streaming."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

ROWS_PER_CHUNK = 2000


def header() -> list[str]:
    return [_("Name"), _("Street address"), _("Postal code"), _("Post office"), _("Country")]


def address_csv(rows: Iterable[tuple[str, ...]]) -> Iterator[str]:
    """CSV text for `rows` of (first names, surname, street address, postal code, post
    office, country), the header first, a few thousand lines per chunk: one write per
    row would cost more than the database read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header())
    pending = 0
    for first_names, surname, street_address, postal_code, post_office, country in rows:
        writer.writerow(
            (f"{first_names} {surname}", street_address, postal_code, post_office, country)
        )
        pending += 1
        if pending == ROWS_PER_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()
