"""Shopify's order webhooks: exact 64-bit ids, retried deliveries taken once (P10)."""

from decimal import Decimal

import pytest

from rekisteri.customers.models import Customer
from rekisteri.intake.inbox import inbox_drain
from rekisteri.intake.models import InboxDelivery
from rekisteri.intake.services import integration_shop_secret_set
from rekisteri.intake.shopify import payment_method
from rekisteri.orders.models import Order, OrderStatus, PaymentMethod
from rekisteri.testing.shops import (
    ADMIN,
    SHOPIFY_ORDER_BYTES,
    post_shopify,
    processed,
    shop,
    shopify_json,
    shopify_order,
    stored_counts,
)

pytestmark = pytest.mark.django_db
SHOPIFY_ID = "5890123456789012345"


@pytest.fixture
def store():
    return shop("shopify", name="Shopify-kauppa")


def test_an_order_is_stored_with_its_exact_id_lines_and_addresses(client, store):
    integration, secret = store

    response = post_shopify(client, integration, secret, SHOPIFY_ORDER_BYTES, topic="orders/create")

    assert processed(response).state == "done"
    order = Order.objects.get()
    assert int(SHOPIFY_ID) > 2**53 and int(float(SHOPIFY_ID)) != int(SHOPIFY_ID)
    assert (order.external_id, order.status, order.payment_method) == (
        SHOPIFY_ID,
        OrderStatus.CONFIRMED,
        PaymentMethod.PREPAID,
    )
    assert (order.total_gross, order.total_vat) == (Decimal("85.60"), Decimal("17.39"))
    assert [
        (line.sku, line.name, line.quantity, line.unit_price, line.vat_rate)
        for line in order.lines.all()
    ] == [
        ("KL-60", "Kuljetuslaatikko 60 l", 3, Decimal("24.90"), Decimal("25.5")),
        ("44012345678902", "Tarra-arkki / 10 kpl", 1, Decimal("4.00"), Decimal("25.5")),
        ("Posti", "Posti Pakettiautomaatti", 1, Decimal("6.90"), Decimal("25.5")),
    ]
    assert (
        order.delivery_name,
        order.delivery_street_address,
        order.delivery_postal_code,
        order.delivery_post_office,
        order.delivery_country,
    ) == ("Katariina Soininen", "Storgatan 5 lgh 1102", "114 51", "Stockholm", "SE")
    customer = Customer.objects.get()
    assert (customer.email, customer.street_address, customer.postal_code, customer.phone) == (
        "katariina.soininen@example.fi",
        "Uskalikonbulevardi 25",
        "02734",
        "+358407654321",
    )


def test_a_retried_delivery_is_taken_once(client, store):
    """Shopify resends with the same webhook id; the copy changes nothing, even if the
    body now says something else."""
    integration, secret = store
    first = post_shopify(client, integration, secret, SHOPIFY_ORDER_BYTES, webhook_id="wh-1")
    cancelled = shopify_json(
        shopify_order(cancelled_at="2026-11-04T09:00:00+02:00", updated_at="2026-11-04T09:00:00Z")
    )
    assert processed(first).outcome == "created"

    again = post_shopify(client, integration, secret, cancelled, webhook_id="wh-1")

    assert (again.status_code, again.json()) == (
        200,
        {"result": "duplicate", "receipt": first.json()["receipt"]},
    )
    inbox_drain()
    assert Order.objects.get().status == OrderStatus.CONFIRMED
    assert stored_counts() == (1, 1)
    assert InboxDelivery.objects.filter(integration=integration).count() == 1


def test_reordered_and_retried_deliveries_converge(client, store):
    integration, secret = store
    created = shopify_json(shopify_order())
    fulfilled = shopify_json(
        shopify_order(fulfillment_status="fulfilled", updated_at="2026-11-04T10:00:00+02:00")
    )

    processed(post_shopify(client, integration, secret, fulfilled, webhook_id="wh-2"))
    processed(
        post_shopify(client, integration, secret, created, topic="orders/create", webhook_id="wh-1")
    )
    post_shopify(client, integration, secret, fulfilled, webhook_id="wh-2")
    post_shopify(client, integration, secret, created, topic="orders/create", webhook_id="wh-1")
    inbox_drain()

    order = Order.objects.get()
    assert (order.status, order.external_id, order.total_gross) == (
        OrderStatus.SHIPPED,
        SHOPIFY_ID,
        Decimal("85.60"),
    )
    assert stored_counts() == (1, 1)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"financial_status": "pending"}, OrderStatus.RECEIVED),
        ({"financial_status": "authorized"}, OrderStatus.RECEIVED),
        ({"financial_status": "paid"}, OrderStatus.CONFIRMED),
        ({"fulfillment_status": "fulfilled"}, OrderStatus.SHIPPED),
        ({"financial_status": "voided"}, OrderStatus.CANCELLED),
        ({"cancelled_at": "2026-11-03T15:00:00+02:00"}, OrderStatus.CANCELLED),
    ],
)
def test_shopify_statuses_map_to_ours(client, store, changes, expected):
    integration, secret = store

    processed(post_shopify(client, integration, secret, shopify_json(shopify_order(**changes))))

    assert Order.objects.get().status == expected


@pytest.mark.parametrize(
    ("gateways", "expected"),
    [
        (["shopify_payments"], PaymentMethod.PREPAID),
        (["paypal"], PaymentMethod.PREPAID),
        (["Cash on Delivery (COD)"], PaymentMethod.CASH_ON_DELIVERY),
        (["Lasku 14 pv"], PaymentMethod.INVOICE),
        ([], PaymentMethod.PREPAID),
    ],
)
def test_payment_gateways_map_to_payment_methods(gateways, expected):
    assert payment_method(gateways) == expected


def test_a_signing_key_chosen_by_shopify_can_replace_the_secret(client, store):
    integration, _secret = store
    integration_shop_secret_set(actor=ADMIN, integration=integration, secret="shpss_abc123")

    response = post_shopify(client, integration, "shpss_abc123", SHOPIFY_ORDER_BYTES)

    assert processed(response).state == "done"
    assert stored_counts() == (1, 1)
