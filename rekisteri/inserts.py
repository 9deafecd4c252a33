"""Multi-row INSERTs for the batch paths (an import's customers, consent events, their
evidence and report lines; the audit trail's events), in statements of `INSERT_ROWS`
rows.

What the ORM's `bulk_create` stores, without its per-value machinery: a statement
made once per model (and, on SQLite, number of rows), and each value prepared by its
model field as the ORM prepares it, but a `str` of a text field and an `int` of an
integer field, which the field would hand on unchanged. The ORM spent more on
building its statements than the database on storing the rows.

The statement is the one the ORM makes on each engine: on PostgreSQL the columns as
arrays, `INSERT … SELECT * FROM UNNEST(%s::type[], …)`, a short statement that
psycopg parses once (it parses a statement longer than 4 kB anew on every execution,
which for 500 rows of `VALUES (%s, …), …` cost more than the insert itself); on
SQLite, and for a single row on both, `VALUES (%s, …), (%s, …), …`.

The rows get their ids from the database (RETURNING, as `bulk_create` gets them on
both engines) and are then saved instances, like `bulk_create`'s."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

# Rows per statement: the customer's 21 columns make some 10,000 parameters, inside
# SQLite's limit (32,766 since 3.32) and PostgreSQL's (65,535).
INSERT_ROWS = 500
# What `get_db_prep_save` hands on unchanged, by field: a str of a text field, an int
# of an integer field (ids, and foreign keys to them, included).
_PLAIN_TYPES: tuple[tuple[type[models.Field[Any, Any]], type], ...] = (
    (models.CharField, str),
    (models.TextField, str),
    (models.IntegerField, int),  # its Positive, Big and Small kinds, AutoField too
)
# A column: its field, and the type of the values that go to the database as they are.
Column = tuple[models.Field[Any, Any], type | None]


@functools.cache
def _columns(model: type[models.Model]) -> tuple[Column, ...]:
    """The model's columns but its database-made id."""
    columns: list[Column] = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField):
            continue
        target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
        plain = next((kind for cls, kind in _PLAIN_TYPES if isinstance(target, cls)), None)
        columns.append((field, plain))
    return tuple(columns)


@functools.lru_cache(maxsize=16)
def _statement(model: type[models.Model], vendor: str, rows: int) -> str:
    """The INSERT of `rows` rows, returning their ids in the rows' order (as
    `bulk_create` has them, on both engines); made once per engine and size. Names
    and types are the model's own, quoted: none comes from the rows."""
    quote = connection.ops.quote_name
    fields = [field for field, _plain in _columns(model)]
    if vendor == "postgresql" and rows != 1:
        # As the ORM's: the array types without their lengths (varchar, not varchar(50)).
        types = [field.db_type(connection).split("(")[0] for field in fields]  # type: ignore[union-attr]
        arrays = ", ".join(f"(%s)::{kind}[]" for kind in types)
        values = f"SELECT * FROM UNNEST({arrays})"  # noqa: S608  # nosec B608
    else:
        values = "VALUES " + ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    return " ".join(
        [
            f"INSERT INTO {quote(model._meta.db_table)}",
            "(" + ", ".join(quote(field.column) for field in fields) + ")",
            values,
            f"RETURNING {quote(model._meta.pk.column)}",
        ]
    )


def _values(
    obj: models.Model, columns: Sequence[Column], shared: dict[tuple[str, int], Any]
) -> list[Any]:
    """The row's values for the database. `shared`: values already prepared, by field
    and object identity (the one `now` a batch's rows are given), for the caller to
    keep while their objects live."""
    values = []
    for field, plain in columns:
        value = field.pre_save(obj, True)
        if value is not None and type(value) is not plain:
            if isinstance(value, datetime.datetime):
                key = (field.attname, id(value))
                if key not in shared:
                    shared[key] = (value, field.get_db_prep_save(value, connection))
                value = shared[key][1]
            else:
                value = field.get_db_prep_save(value, connection)
        values.append(value)
    return values


def rows_insert(objs: Sequence[models.Model]) -> None:
    """Inserts new, unsaved instances of one model in the caller's transaction, and
    gives them their ids. A foreign key is taken from its related object when that was
    saved meanwhile (a consent event's customer, stored just before), as `bulk_create`
    takes it; an unsaved related object raises ValueError, as there."""
    if not objs:
        return
    model = type(objs[0])
    columns = _columns(model)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), INSERT_ROWS):
            chunk = objs[start : start + INSERT_ROWS]
            rows = []
            # (the prepared value, with its object: an id is unique while it lives)
            shared: dict[tuple[str, int], Any] = {}
            for obj in chunk:
                if type(obj) is not model:
                    raise TypeError("rows_insert inserts instances of one model")
                obj._prepare_related_fields_for_save(operation_name="rows_insert")  # type: ignore[attr-defined]
                rows.append(_values(obj, columns, shared))
            if connection.vendor == "postgresql" and len(chunk) > 1:
                params = [list(column) for column in zip(*rows, strict=True)]
                statement = _statement(model, connection.vendor, 0)
            else:
                params = [value for row in rows for value in row]
                statement = _statement(model, connection.vendor, len(chunk))
            cursor.execute(statement, params)
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias


def row_insert_unless_taken(obj: models.Model, *, conflict: str) -> bool:
    """Inserts one new instance unless a row already holds its unique key, in one
    statement (`ON CONFLICT … DO NOTHING`, on both engines): True, with its id given,
    when it was stored; False when the key was taken. `conflict` is the unique index's
    target as the model's code writes it (columns and, for a partial one, its WHERE),
    never anything a request brought."""
    columns = _columns(type(obj))
    obj._prepare_related_fields_for_save(operation_name="row_insert_unless_taken")  # type: ignore[attr-defined]
    statement = _statement(type(obj), connection.vendor, 1).replace(
        " RETURNING ", f" ON CONFLICT {conflict} DO NOTHING RETURNING ", 1
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, _values(obj, columns, {}))
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return True
