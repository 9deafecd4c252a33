"""Customer and order numbers: unique and ascending on both engines; on PostgreSQL
from a sequence, so that a writer holding a number makes no other writer wait."""

import pytest
from django.db import connection, transaction

from rekisteri.backups.databases import libpq_parameters
from rekisteri.customers.models import CustomerNumberCounter
from rekisteri.orders.models import OrderNumberCounter
from rekisteri.running_numbers import (
    next_running_number,
    running_numbers_last,
    running_numbers_move_to,
    running_numbers_reserve,
)


@pytest.mark.django_db
def test_numbers_are_the_next_ones_unique_and_ascending():
    last = running_numbers_last(OrderNumberCounter)

    single = next_running_number(OrderNumberCounter)
    batch = running_numbers_reserve(OrderNumberCounter, 3)

    assert single == last + 1
    assert batch == [last + 2, last + 3, last + 4]
    assert running_numbers_last(OrderNumberCounter) == last + 4


@pytest.mark.django_db
def test_moving_the_numbers_on_makes_the_next_one_follow():
    running_numbers_move_to(CustomerNumberCounter, 5000)

    assert running_numbers_last(CustomerNumberCounter) == 5000
    assert next_running_number(CustomerNumberCounter) == 5001


@pytest.mark.django_db
def test_reserving_no_numbers_is_a_mistake():
    with pytest.raises(ValueError, match="at least one"):
        running_numbers_reserve(OrderNumberCounter, 0)


@pytest.mark.django_db
def test_on_postgresql_a_number_held_by_an_open_transaction_makes_no_one_wait():
    """The order that took a number has not committed; another writer, on a connection
    of its own, takes the next one at once (a row lock would make it wait to commit:
    here it would run into its lock_timeout)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time in by design")
    import psycopg
    from psycopg.conninfo import make_conninfo

    mine = next_running_number(OrderNumberCounter)  # in the test's open transaction

    with psycopg.connect(make_conninfo(**libpq_parameters(connection.settings_dict))) as other:
        other.execute("SET lock_timeout = '500ms'")
        row = other.execute(
            "SELECT nextval(%s)", [f"{OrderNumberCounter._meta.db_table}_seq"]
        ).fetchone()

    assert row is not None
    assert row[0] == mine + 1


@pytest.mark.django_db
def test_on_postgresql_a_number_of_a_rolled_back_transaction_is_not_given_again():
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the number goes back with the rollback")
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = next_running_number(OrderNumberCounter)
        raise RuntimeError("the order failed")

    assert next_running_number(OrderNumberCounter) == lost + 1


@pytest.mark.django_db
def test_on_sqlite_a_number_of_a_rolled_back_transaction_is_given_again():
    if connection.vendor != "sqlite":
        pytest.skip("on PostgreSQL numbers can have gaps")
    with pytest.raises(RuntimeError), transaction.atomic():
        lost = next_running_number(OrderNumberCounter)
        raise RuntimeError("the order failed")

    assert next_running_number(OrderNumberCounter) == lost
