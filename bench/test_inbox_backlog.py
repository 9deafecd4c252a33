"""The inbox backlog benchmark's machinery: a small backlog stored as the API stores
it, then processed as the worker's inbox thread does. No timing is asserted."""

from __future__ import annotations

from bench import inbox_backlog
from bench.generate import generate_customers
from bench.order_intake import LINES_PER_ORDER
from rekisteri.customers.models import Customer
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.orders.models import Order, OrderLine


def test_it_turns_a_small_backlog_into_orders(db: None) -> None:
    """Every delivery becomes its order, a customer for each new buyer and none for a
    returning one, and none waits for a person; the figures say so."""
    generate_customers(total=40, seed=3)

    result = inbox_backlog.run(deliveries=20, customers=40, seed=3, in_process=True)

    assert result["worker"] == "in-process"
    assert result["deliveries"] == result["orders"] == 20
    assert result["attention"] == result["still_waiting"] == 0
    assert result["states"] == {DeliveryState.DONE: 20}
    assert result["outcomes"] == {"created": 20}
    assert result["customers_created"] == result["expected_customers"] == 10
    assert {"orders_per_s", "seconds", "load_average"} <= set(result)
    assert Order.objects.count() == 20
    assert OrderLine.objects.count() == 20 * LINES_PER_ORDER
    assert Customer.objects.count() == 40 + 10
    assert not InboxDelivery.objects.filter(state=DeliveryState.WAITING).exists()
