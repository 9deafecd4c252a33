"""The subject access benchmark on a small customer in the test database: what it makes
and what it reports. The timings themselves are not asserted."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from bench import subject_access
from rekisteri.customers.models import Customer
from rekisteri.orders.models import Order

pytestmark = pytest.mark.django_db


def test_it_makes_a_customer_with_the_orders_asked_for_and_reports_one_json_line(capsys):
    result = subject_access.main(
        orders=12, runs=2, seed=7, database=SimpleNamespace(label="test database")
    )

    [customer] = Customer.objects.filter(notes=subject_access.marker(12))
    assert Order.objects.filter(customer=customer).count() == 12
    assert result["orders"] == 12
    assert result["consent_events"] == 4
    assert result["deliveries"] >= 1
    assert result["queries"] == 16
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    reported = json.loads(last_line)
    assert reported == result
    assert set(reported) >= {"orders", "ms", "best_ms", "data_ms", "engine", "target_met"}


def test_a_kept_customer_is_used_again(capsys):
    subject_access.main(orders=3, runs=1, seed=7, database=SimpleNamespace(label="test"))

    again = subject_access.main(orders=3, runs=1, seed=7, database=SimpleNamespace(label="test"))

    assert Customer.objects.filter(notes=subject_access.marker(3)).count() == 1
    assert again["make_seconds"] is None
