"""The campaign export benchmark, on a small register in the test database.

Correctness only: both paths give the same rows as the members count, without the
customers the bench bans or who refused post. The timings are not asserted."""

from __future__ import annotations

import json

import pytest

from bench import campaign_export
from bench.generate import generate_customers
from rekisteri.consents.models import ConsentEvent

CUSTOMERS = 200


@pytest.fixture
def register(db: None) -> None:
    generate_customers(total=CUSTOMERS, seed=7)


def test_it_measures_both_paths_over_the_same_rows(register: None, capsys) -> None:
    result = campaign_export.main(
        customers=CUSTOMERS, seed=7, database=type("D", (), {"label": "test"})
    )

    # Customer numbers 1001..1200: every 100th (…07) banned, every 50th (…03, …53) refused.
    assert ConsentEvent.objects.count() == 2 + 4
    assert result["rows"] == CUSTOMERS - 6
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"customers", "rows", "rows_per_s", "raw_rows_per_s", "peak_rss_mb"} <= set(last)
    assert (last["customers"], last["rows"]) == (CUSTOMERS, CUSTOMERS - 6)


def test_it_adds_the_refusals_only_once(register: None) -> None:
    assert campaign_export.add_refusals() == 6
    assert campaign_export.add_refusals() == 0
