"""The customer search benchmark, on a small register in the test database.

Correctness only: the generator writes what the services would, and every path of
every search finds its customer. The timings themselves are not asserted."""

from __future__ import annotations

import json

import pytest

from bench import customer_search
from bench.generate import (
    FIRST_NUMBER,
    generate_customers,
    has_identity_code,
    identity_code_of,
    phone_of,
)
from rekisteri import crypto, fi
from rekisteri.customers.models import IDENTITY_CODE_PURPOSE, Customer, CustomerNumberCounter
from rekisteri.running_numbers import running_numbers_last

CUSTOMERS = 200


@pytest.fixture
def register(db: None) -> None:
    generate_customers(total=CUSTOMERS, seed=7)


def test_it_generates_customers_as_the_services_would_store_them(register: None) -> None:
    """Numbers from 1001 on, normalised contact data, name keys, the counter moved on,
    and identity codes encrypted and indexed with the key ring in use."""
    customers = list(Customer.objects.order_by("customer_number"))
    assert [c.customer_number for c in customers] == list(
        range(FIRST_NUMBER, FIRST_NUMBER + CUSTOMERS)
    )
    assert running_numbers_last(CustomerNumberCounter) == FIRST_NUMBER + CUSTOMERS - 1
    ring = crypto.keyring()
    for customer in customers:
        customer.full_clean()
        assert (
            customer.phone
            == fi.normalize_phone(customer.phone)
            == phone_of(customer.customer_number)
        )
        assert customer.email == fi.normalize_email(customer.email)
        assert customer.email.endswith("@example.fi")
        assert customer.name_key == fi.name_key(f"{customer.surname} {customer.first_names}")
        if has_identity_code(customer.customer_number):
            code = identity_code_of(customer.customer_number)
            assert fi.normalize_identity_code(code, allow_temporary=True) == code
            assert (
                ring.decrypt(
                    customer.identity_code_encrypted,
                    purpose=IDENTITY_CODE_PURPOSE,
                    row=str(customer.public_id),
                )
                == code
            )
            assert customer.identity_code_index == ring.blind_index(
                code, purpose=IDENTITY_CODE_PURPOSE
            )
        else:
            assert customer.identity_code_encrypted == customer.identity_code_index == ""
    assert len({c.phone for c in customers}) == len({c.email for c in customers}) == CUSTOMERS
    with_code = [c for c in customers if c.identity_code_index]
    assert 0.25 * CUSTOMERS < len(with_code) < 0.55 * CUSTOMERS
    assert len({c.identity_code_index for c in with_code}) == len(with_code)


def test_it_adds_only_the_missing_customers_to_a_smaller_register(register: None) -> None:
    """A register generated earlier is reused and grown, not generated again."""
    result = generate_customers(total=CUSTOMERS + 10, seed=7)

    assert result.created == 10
    assert Customer.objects.count() == CUSTOMERS + 10
    assert generate_customers(total=CUSTOMERS, seed=7).created == 0


def test_every_path_of_every_search_finds_its_customer(register: None) -> None:
    """The view, the selector and the raw SQL each find the customer searched for (or,
    for a surname prefix, only customers whose surname starts so), on the same index."""
    measured = customer_search.measure(searches=5, seed=3)

    result = customer_search.summarize(
        timings=measured["timings"], plans=measured["plans"], customers=CUSTOMERS, generate=None
    )

    assert result["misses"] == {}
    assert {kind: result["per_kind"][kind]["same_index"] for kind in customer_search.KINDS} == {
        kind: True for kind in customer_search.KINDS
    }
    for kind in customer_search.KINDS:
        assert {path: result["per_kind"][kind][path]["n"] for path in customer_search.PATHS} == {
            "view": 5,
            "selector": 5,
            "raw": 5,
        }
    assert {name: s["n"] for name, s in result["list_pages"].items()} == {
        "list_first": 5,
        "list_deep": 5,
    }
    output = json.loads(json.dumps(result))
    assert {
        "customers",
        "engine",
        "p95_ms",
        "raw_p95_ms",
        "ratio",
        "list_page_ms",
        "selector_p95_ms",
        "per_kind",
        "generate_seconds",
    } <= set(output)
    assert output["customers"] == CUSTOMERS
    assert output["ratio"] == round(output["p95_ms"] / output["raw_p95_ms"], 2)
    assert output["ratios"][output["slowest_kind"]] == output["ratio"]
    assert set(output["ratios"]) == set(customer_search.KINDS)


def test_it_says_whether_the_settings_are_production_like(settings) -> None:
    """No DEBUG, compiled templates cached: a run with DEBUG on would be too slow."""
    assert customer_search._production_like() == {
        "debug_off": True,
        "template_debug_off": True,
        "cached_template_loader": True,
    }
    settings.DEBUG = True

    assert customer_search._production_like()["debug_off"] is False


def test_the_raw_query_returns_what_the_selector_returns(register: None) -> None:
    """Raw SQL and selector give the same customers in the same order for every kind."""
    from django.conf import settings
    from django.db import connection

    from rekisteri.customers import selectors

    first = Customer.objects.get(customer_number=FIRST_NUMBER)
    with_code = next(n for n in range(FIRST_NUMBER, 10**6) if has_identity_code(n))
    texts = [
        str(FIRST_NUMBER + 5),
        first.email.upper(),
        fi.format_phone(first.phone),
        identity_code_of(with_code),
        first.surname[:1],
        first.surname[:3],
        f"{first.surname} {first.first_names[:2]}",
    ]
    for text in texts:
        term = fi.classify_search(text)
        assert term is not None
        page = selectors.customer_search(term=term, cursor="", limit=settings.CUSTOMER_PAGE_SIZE)
        with connection.cursor() as cursor:
            cursor.execute(*customer_search.raw_query(term))
            raw_ids = [row[0] for row in cursor.fetchall()]
        assert raw_ids[: settings.CUSTOMER_PAGE_SIZE] == [c.pk for c in page.customers]
        assert raw_ids
