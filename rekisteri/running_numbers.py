"""Human-readable running numbers (customer and order numbers) from a counter row.

One statement takes the next numbers: UPDATE … RETURNING holds the row's lock to the
end of the transaction, so numbers are unique and without gaps. It is the one lock a
writer of customers or orders waits for: take it as late in the transaction as the
write allows."""

from __future__ import annotations

from django.db import connection, models


def running_numbers_reserve(counter: type[models.Model], count: int) -> range:
    """The next `count` numbers, taken at once (a batch of imported customers)."""
    if count < 1:
        raise ValueError("reserve at least one number")
    # A table name cannot be a query parameter: this one is the model's, quoted.
    table = connection.ops.quote_name(counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + %s WHERE id = 1 "  # noqa: S608  # nosec B608
            "RETURNING last_number",
            [count],
        )
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError(f"the counter row of {counter._meta.label} is missing")
    last = int(row[0])
    return range(last - count + 1, last + 1)


def next_running_number(counter: type[models.Model]) -> int:
    return running_numbers_reserve(counter, 1)[0]
