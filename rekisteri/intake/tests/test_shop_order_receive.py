"""Orders from outside: matched to customers, idempotent, never older over newer (P10)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer, Source
from rekisteri.intake.services import (
    Outcome,
    ShopCustomer,
    ShopOrder,
    integration_create,
    shop_order_receive,
)
from rekisteri.orders.models import Order, OrderStatus
from rekisteri.orders.services import LineInput
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")
T0 = datetime.datetime(2026, 11, 1, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def shop():
    return integration_create(actor=ACTOR, kind="woocommerce", name="Verkkokauppa").integration


def shop_order(
    external_id="1001",
    *,
    email="aino.virtanen@example.fi",
    identity_code="",
    status=OrderStatus.RECEIVED,
    modified_at=T0,
):
    return ShopOrder(
        external_id=external_id,
        customer=ShopCustomer(
            surname="Virtanen",
            first_names="Aino",
            email=email,
            identity_code=identity_code,
            street_address="Hintantie 1",
            postal_code="90650",
            post_office="Oulu",
        ),
        lines=[LineInput("HYL-120", 2, name="Hylly 120 cm", unit_price=Decimal("89.90"))],
        payment_method="prepaid",
        status=status,
        placed_at=T0,
        modified_at=modified_at,
    )


def test_a_new_buyer_becomes_a_web_shop_customer(shop):
    order, outcome = shop_order_receive(actor=ACTOR, integration=shop, order=shop_order())

    customer = Customer.objects.get()
    assert outcome == Outcome.CREATED
    assert (customer.source, customer.email) == (Source.WEB_SHOP, "aino.virtanen@example.fi")
    assert order.customer == customer
    assert order.total_gross == Decimal("179.80")
    assert order.channel == "web_shop"


def test_a_returning_buyer_is_matched_by_identity_code_before_email(shop):
    code = random_identity_code()
    known = make_customer(
        identity_code=code, email="other@example.fi", surname="Virtanen", first_names="Aino"
    )
    make_customer(email="aino.virtanen@example.fi", surname="Virtanen", first_names="Aino")
    shop.sells_on_invoice = True  # only such a shop may send identity codes

    order, _ = shop_order_receive(
        actor=ACTOR, integration=shop, order=shop_order(identity_code=code)
    )

    assert order.customer == known
    assert Customer.objects.count() == 2


def test_a_returning_buyer_is_matched_by_email(shop):
    known = make_customer(email="aino.virtanen@example.fi", surname="Virtanen", first_names="Aino")

    order, _ = shop_order_receive(
        actor=ACTOR, integration=shop, order=shop_order(email="AINO.virtanen@example.fi")
    )

    assert order.customer == known


def test_a_replay_returns_the_same_order_and_creates_nothing(shop):
    first, _ = shop_order_receive(actor=ACTOR, integration=shop, order=shop_order())

    again, outcome = shop_order_receive(actor=ACTOR, integration=shop, order=shop_order())

    assert (again.pk, outcome) == (first.pk, Outcome.UNCHANGED)
    assert Order.objects.count() == 1


def test_a_newer_update_moves_the_status_and_an_older_one_is_ignored(shop):
    shop_order_receive(actor=ACTOR, integration=shop, order=shop_order())
    later = T0 + datetime.timedelta(hours=2)

    shipped, outcome = shop_order_receive(
        actor=ACTOR,
        integration=shop,
        order=shop_order(status=OrderStatus.SHIPPED, modified_at=later),
    )
    stale, stale_outcome = shop_order_receive(
        actor=ACTOR,
        integration=shop,
        order=shop_order(
            status=OrderStatus.CANCELLED, modified_at=T0 + datetime.timedelta(hours=1)
        ),
    )

    assert (shipped.status, outcome) == (OrderStatus.SHIPPED, Outcome.UPDATED)
    assert (stale.status, stale_outcome) == (OrderStatus.SHIPPED, Outcome.STALE)


def test_a_buyer_without_email_and_identity_code_is_refused(shop):
    with pytest.raises(ValidationError):
        shop_order_receive(actor=ACTOR, integration=shop, order=shop_order(email=""))

    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0
