"""Human-readable running numbers (customer and order numbers) from a counter row.

One statement takes the next number: UPDATE … RETURNING holds the row's lock to the
end of the transaction, so numbers are unique and without gaps. Writers take the
audit chain's lock before it (see audit.services.audited_transaction), so the row
lock never takes part in a deadlock."""

from __future__ import annotations

from django.db import connection, models


def next_running_number(counter: type[models.Model]) -> int:
    # A table name cannot be a query parameter: this one is the model's, quoted.
    table = connection.ops.quote_name(counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 WHERE id = 1 "  # noqa: S608  # nosec B608
            "RETURNING last_number"
        )
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError(f"the counter row of {counter._meta.label} is missing")
    return int(row[0])
