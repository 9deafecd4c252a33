"""Fixtures for the order pages: a small product range and orders made by the service,
as the web shop and customer service make them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer
from rekisteri.orders.models import Order, Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.testing.factories import make_customer


@pytest.fixture
def products(db: None) -> list[Product]:
    return [
        Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90")),
        Product.objects.create(
            sku="KIRJA-1",
            name="Varastokirja",
            unit_price=Decimal("24.00"),
            vat_rate=Decimal("14.0"),
        ),
        Product.objects.create(
            sku="VANHA-9", name="Poistunut laatikko", unit_price=Decimal("5.00"), is_active=False
        ),
    ]


@pytest.fixture
def place_order(products: list[Product]) -> Callable[..., Order]:
    """Places an order of two shelves and one book (203.80 €) for a customer."""

    def place(customer: Customer | None = None, **overrides: object) -> Order:
        values: dict[str, object] = {
            "actor": Actor.system("test"),
            "customer": customer or make_customer(),
            "channel": "phone",
            "payment_method": "invoice",
            "lines": [LineInput("HYL-120", 2), LineInput("KIRJA-1", 1)],
        }
        values.update(overrides)
        return order_create(**values)  # type: ignore[arg-type]

    return place
