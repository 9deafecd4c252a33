"""Order services: totals with VAT, allowed transitions, returns (P9)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.orders.models import (
    Order,
    OrderNumberCounter,
    OrderStatus,
    Product,
    withdrawal_deadline,
)
from rekisteri.orders.services import (
    LineInput,
    order_create,
    order_status_change,
    return_create,
    vat_of,
)
from rekisteri.running_numbers import running_numbers_last
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


@pytest.fixture
def products():
    return [
        Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90")),
        Product.objects.create(
            sku="KIRJA-1",
            name="Varastokirja",
            unit_price=Decimal("24.00"),
            vat_rate=Decimal("14.0"),
        ),
    ]


def test_an_order_snapshots_its_lines_and_totals_vat(products):
    customer = make_customer()
    last_number = running_numbers_last(OrderNumberCounter)

    order = order_create(
        actor=ACTOR,
        customer=customer,
        channel="phone",
        payment_method="invoice",
        lines=[LineInput("HYL-120", 2), LineInput("KIRJA-1", 1)],
    )

    lines = list(order.lines.values_list("sku", "unit_price", "vat_rate", "quantity", "line_total"))
    assert order.order_number == last_number + 1
    assert lines == [
        ("HYL-120", Decimal("89.90"), Decimal("25.5"), 2, Decimal("179.80")),
        ("KIRJA-1", Decimal("24.00"), Decimal("14.0"), 1, Decimal("24.00")),
    ]
    assert order.total_gross == Decimal("203.80")
    assert order.total_vat == vat_of(Decimal("179.80"), Decimal("25.5")) + vat_of(
        Decimal("24.00"), Decimal("14.0")
    )
    assert order.total_vat == Decimal("36.53") + Decimal("2.95")
    assert order.delivery_name == f"{customer.first_names} {customer.surname}"
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="orders.order")
    assert event.customer_id == customer.pk


def test_a_later_price_change_never_rewrites_an_order(products):
    order = order_create(
        actor=ACTOR,
        customer=make_customer(),
        channel="email",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )
    Product.objects.filter(sku="HYL-120").update(unit_price=Decimal("99.00"), name="Uusi")

    line = order.lines.get()
    assert (line.unit_price, line.name) == (Decimal("89.90"), "Hylly 120 cm")


def test_the_customers_last_activity_follows_their_orders(products):
    customer = make_customer()
    placed = timezone.now() + datetime.timedelta(minutes=5)

    order_create(
        actor=ACTOR,
        customer=customer,
        channel="phone",
        payment_method="invoice",
        lines=[LineInput("HYL-120", 1)],
        placed_at=placed,
    )

    customer.refresh_from_db()
    assert customer.last_activity_at == placed


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "at least one line"),
        ([LineInput("HYL-120", 0)], "whole number from 1"),
        ([LineInput("HYL-120", -2)], "whole number from 1"),
        ([LineInput("EI-OLE", 1)], "no product has the code"),
    ],
)
def test_bad_lines_store_nothing(products, lines, message):
    customer = make_customer()

    with pytest.raises(ValidationError) as error:
        order_create(
            actor=ACTOR,
            customer=customer,
            channel="phone",
            payment_method="invoice",
            lines=lines,
        )

    assert message in str(error.value.message_dict["lines"])
    assert Order.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="orders.order").exists()


def test_status_changes_follow_the_allowed_transitions_only(products):
    order = order_create(
        actor=ACTOR,
        customer=make_customer(),
        channel="phone",
        payment_method="invoice",
        lines=[LineInput("HYL-120", 1)],
    )

    order = order_status_change(actor=ACTOR, order=order, status=OrderStatus.SHIPPED)
    with pytest.raises(ValidationError):
        order_status_change(actor=ACTOR, order=order, status=OrderStatus.CANCELLED)

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert order.version == 2


def test_no_more_can_come_back_than_was_sold(products):
    order = order_create(
        actor=ACTOR,
        customer=make_customer(),
        channel="phone",
        payment_method="invoice",
        lines=[LineInput("HYL-120", 2)],
    )
    line = order.lines.get()
    return_create(actor=ACTOR, order=order, quantities={line.pk: 1}, reason="Väärä koko")

    with pytest.raises(ValidationError) as error:
        return_create(actor=ACTOR, order=order, quantities={line.pk: 2}, reason="Toinenkin")

    assert "At most 1" in str(error.value.message_dict["lines"])
    assert order.returns.count() == 1


def test_the_withdrawal_deadline_is_fourteen_days_from_delivery_in_finland():
    delivered = datetime.datetime(2026, 3, 1, 22, 30, tzinfo=datetime.UTC)  # 2.3. in Helsinki

    assert withdrawal_deadline(delivered) == datetime.date(2026, 3, 16)
