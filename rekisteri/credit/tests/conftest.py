"""Fixtures for the credit check flows: the local bureau simulator over real HTTP, with
Rekisteri pointed at it through the environment, and customers whose fake identity
codes choose the simulator's answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from rekisteri.credit.simulator import SimulatorServer, running_simulator
from rekisteri.credit.tests.simulator_codes import code_for
from rekisteri.customers.models import Customer
from rekisteri.orders.models import Product
from rekisteri.testing.factories import make_customer

SLOW_ANSWER_SECONDS = 2.0


@pytest.fixture(scope="session")
def credit_simulator() -> Iterator[SimulatorServer]:
    with running_simulator(record_requests=True, delay_seconds=SLOW_ANSWER_SECONDS) as server:
        yield server


@pytest.fixture
def bureau(
    credit_simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SimulatorServer]:
    """The simulator in a thread on a free port, with Rekisteri pointed at it. It keeps
    each query it gets (in memory, never logged), so that a test can count requests."""
    for name, value in credit_simulator.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REKISTERI_ASIAKASTIETO_TIMEOUT_SECONDS", raising=False)
    credit_simulator.recorded_queries.clear()
    yield credit_simulator
    credit_simulator.recorded_queries.clear()


@pytest.fixture
def shelf(db: None) -> Product:
    return Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))


@pytest.fixture
def buyer(db: None) -> Callable[[int], Customer]:
    """A customer with a fake identity code: buyer(940) has payment defaults."""

    def make(individual: int) -> Customer:
        return make_customer(identity_code=code_for(individual))

    return make
