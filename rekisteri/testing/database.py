"""The whole database as text, to prove that a person is nowhere in it: every value of
every row of every table, whatever its type (the erasure tests)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator

from django.db import connection


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def database_rows(*, skip: Collection[str] = ()) -> Iterator[tuple[str, str, str]]:
    """(table, column, value as text) of every value of every row of every table."""
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in skip:
                continue
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            ]
            # The table names come from the database's own catalogue.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608  # nosec B608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    yield table, column, _as_text(value)


def found_in_database(terms: dict[str, str]) -> set[tuple[str, str, str]]:
    """(what, table, column) for each term found anywhere, in any case, also in the
    escaped form JSON stores non-ASCII letters in."""
    wanted = {
        what: {term.casefold(), json.dumps(term)[1:-1].casefold()} for what, term in terms.items()
    }
    found = set()
    for table, column, text in database_rows():
        folded = text.casefold()
        for what, forms in wanted.items():
            if any(form in folded for form in forms):
                found.add((what, table, column))
    return found
