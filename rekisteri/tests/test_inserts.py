"""Multi-row INSERTs (`rekisteri.inserts.rows_insert`) store what the ORM's
`bulk_create` stores, on both engines: every column read back the same, foreign keys
taken from the related rows stored before, JSON as JSON, ids in the rows' order."""

import datetime
import random

import pytest
from django.utils import timezone

from rekisteri import crypto
from rekisteri.audit.services import Actor
from rekisteri.consents.models import ConsentEvent, EventKind, Source
from rekisteri.consents.services import consent_event_built
from rekisteri.customers.models import Customer, CustomerNumberCounter
from rekisteri.customers.services import (
    CustomerInput,
    customer_built,
    customer_input_clean,
    identity_code_decrypt,
)
from rekisteri.imports.models import CustomerImport, ImportRow, ImportStatus
from rekisteri.inserts import INSERT_ROWS, rows_insert
from rekisteri.running_numbers import running_numbers_reserve
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 10, 30, 15, 123456, tzinfo=datetime.UTC)


def customers(count: int, *, offset: int) -> list[Customer]:
    """`count` new customers as the import builds them, numbered, not stored."""
    built = []
    for n in range(count):
        values, compact = customer_input_clean(
            CustomerInput(
                surname="Virtanen",
                first_names=f"Matti {chr(0x41 + n % 26)}ä",
                street_address="Kauppakatu 1 A 2",
                postal_code="00100",
                post_office="Helsinki",
                country="SE" if n % 3 == 0 else "FI",
                phone=f"040 {offset + n:07d}",
                email=f"matti.{offset + n}@example.fi",
                notes="rivi 1\nrivi 2" if n % 2 else "",
            ),
            random_identity_code(random.Random(offset + n)) if n % 2 else "",
        )
        built.append(customer_built(values=values, compact=compact, source="import", now=NOW))
    numbers = running_numbers_reserve(CustomerNumberCounter, count)
    for customer, number in zip(built, numbers, strict=True):
        customer.customer_number = number
    return built


# Made anew for each row: its own number, public id and identity code ciphertext.
OWN = ("id", "customer_number", "public_id", "identity_code_encrypted")


def read_back(built: list[Customer]) -> list[dict[str, object]]:
    rows = Customer.objects.filter(pk__in=[c.pk for c in built]).order_by("pk").values()
    return [{k: v for k, v in row.items() if k not in OWN} for row in rows]


def test_customers_are_stored_as_bulk_create_stores_them():
    by_orm = Customer.objects.bulk_create(customers(7, offset=0))
    ours = customers(7, offset=0)

    rows_insert(ours)

    assert all(customer.pk is not None and not customer._state.adding for customer in ours)
    assert read_back(ours) == read_back(by_orm)
    assert read_back(ours)[0]["created_at"] == NOW
    ring = crypto.keyring()
    for customer in ours:  # each instance has its own row's id, in the rows' order
        again = Customer.objects.get(pk=customer.pk)
        assert again.customer_number == customer.customer_number
        assert again.public_id == customer.public_id
        if customer.identity_code_encrypted:
            assert identity_code_decrypt(ring, again) == identity_code_decrypt(ring, customer)


def test_more_rows_than_a_statement_takes_and_foreign_keys_from_rows_stored_before():
    many = customers(INSERT_ROWS + 3, offset=100_000)
    actor = Actor.system("test")
    events = [
        consent_event_built(
            actor=actor,
            customer=customer,
            kind=EventKind.BAN,
            source=Source.STAFF,
            occurred_at=timezone.now(),
        )
        for customer in many
    ]
    assert all(event.customer_id is None for event in events)  # as the import builds them

    rows_insert(many)
    rows_insert(events)

    assert Customer.objects.filter(pk__in=[c.pk for c in many]).count() == len(many)
    assert list(
        ConsentEvent.objects.filter(pk__in=[e.pk for e in events])
        .order_by("pk")
        .values_list("customer_id", flat=True)
    ) == [customer.pk for customer in many]


def test_an_unsaved_related_row_is_refused_and_nothing_is_stored():
    customer = customers(1, offset=200_000)[0]
    event = consent_event_built(
        actor=Actor.system("test"),
        customer=customer,
        kind=EventKind.BAN,
        source=Source.STAFF,
        occurred_at=NOW,
    )
    with pytest.raises(ValueError, match="unsaved related object"):
        rows_insert([event])
    assert not ConsentEvent.objects.exists()


def test_report_problems_are_stored_as_json():
    customer_import = CustomerImport.objects.create(
        created_at=NOW,
        status=ImportStatus.CHECKING,
        file_format="csv",
        file_size=1,
        file_expires_at=NOW,
    )
    problems = [{"field": "email", "message": "The same as on row %(row)s", "row": 2}]
    lines = [
        ImportRow(customer_import=customer_import, number=900, status="refused", problems=problems),
        ImportRow(customer_import=customer_import, number=901, status="ok", problems=[]),
    ]
    rows_insert(lines)
    assert list(
        ImportRow.objects.filter(number__gte=900)
        .order_by("number")
        .values_list("problems", flat=True)
    ) == [problems, []]
    assert ImportRow.objects.filter(problems__0__row=2, number=900).exists()
