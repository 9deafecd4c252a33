"""Human-readable running numbers (customer and order numbers).

Every new customer and order takes one, so how a number is taken decides whether
writers wait for each other:

- On PostgreSQL, from a sequence (`<counter table>_seq`): `nextval` locks nothing to
  the end of the transaction, so orders coming in at the same time never queue for
  their numbers. A number taken by a transaction that then rolls back is not given
  again, so numbers can have gaps. Gaps are harmless in customer and order numbers:
  neither is a bookkeeping voucher number, and nothing counts on them being dense.
- On SQLite, from the counter's one row: UPDATE … RETURNING. SQLite lets one writer at
  a time in anyway (BEGIN IMMEDIATE), so the row costs no waiting there, and numbers
  have no gaps.

The counter models stay the record of the last number on SQLite and the start of the
sequence on PostgreSQL (migrations `customers/0007`, `orders/0004`)."""

from __future__ import annotations

from django.db import connection, models


def _sequence(counter: type[models.Model]) -> str:
    return f"{counter._meta.db_table}_seq"


def _quoted_table(counter: type[models.Model]) -> str:
    # A table name cannot be a query parameter: this one is the model's, quoted.
    return connection.ops.quote_name(counter._meta.db_table)


def running_numbers_reserve(counter: type[models.Model], count: int) -> list[int]:
    """The next `count` numbers, ascending (a batch of imported customers takes them at
    once). On PostgreSQL they need not be consecutive: another writer may take numbers
    in between."""
    if count < 1:
        raise ValueError("reserve at least one number")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", [_sequence(counter), count]
            )
            return sorted(int(row[0]) for row in cursor.fetchall())
        cursor.execute(
            f"UPDATE {_quoted_table(counter)} SET last_number = last_number + %s WHERE id = 1 "  # noqa: S608  # nosec B608
            "RETURNING last_number",
            [count],
        )
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError(f"the counter row of {counter._meta.label} is missing")
    last = int(row[0])
    return list(range(last - count + 1, last + 1))


def next_running_number(counter: type[models.Model]) -> int:
    return running_numbers_reserve(counter, 1)[0]


def running_numbers_last(counter: type[models.Model]) -> int:
    """The last number given (or the one before the first, when none has been)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # pg_sequences.last_value is NULL until the first nextval.
            cursor.execute(
                "SELECT COALESCE(last_value, start_value - 1) FROM pg_sequences "
                "WHERE schemaname = current_schema() AND sequencename = %s",
                [_sequence(counter)],
            )
        else:
            cursor.execute(f"SELECT last_number FROM {_quoted_table(counter)} WHERE id = 1")  # noqa: S608  # nosec B608
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError(f"the running numbers of {counter._meta.label} are missing")
    return int(row[0])


def running_numbers_move_to(counter: type[models.Model], last: int) -> None:
    """Makes `last` the last number given, for rows written straight into a table (the
    benchmarks' generated register): the next number is `last + 1`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(%s, %s)", [_sequence(counter), last])
        cursor.execute(
            f"UPDATE {_quoted_table(counter)} SET last_number = %s WHERE id = 1",  # noqa: S608  # nosec B608
            [last],
        )
