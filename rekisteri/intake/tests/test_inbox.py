"""Web shop orders are never lost: every authentic delivery is answered 2xx at once and
becomes exactly one order or one item waiting for a person, whatever the shop sent.

The two official samples are the vendors' own documentation examples, byte for byte
(`samples/`): WooCommerce's REST API order and Shopify's `orders/create` webhook."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.customers.models import Customer
from rekisteri.intake.inbox import delivery_body, delivery_store, inbox_drain
from rekisteri.intake.models import DeliveryState, InboxDelivery, Integration
from rekisteri.orders.models import Order, OrderStatus
from rekisteri.testing.shops import (
    post_shopify,
    post_woocommerce,
    processed,
    shop,
    shopify_json,
    shopify_order,
    stored_counts,
    woocommerce_json,
    woocommerce_order,
)

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"
WOOCOMMERCE_SAMPLE = (SAMPLES / "woocommerce_order.json").read_bytes()
SHOPIFY_SAMPLE = (SAMPLES / "shopify_orders_create.json").read_bytes()


def sample(name: str, **changes: object) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_bytes())
    data.update(changes)
    return data


def test_woocommerces_documented_sample_in_dollars_waits_for_its_amount_in_euros(client):
    integration, secret = shop("woocommerce")

    response = post_woocommerce(
        client, integration, secret, WOOCOMMERCE_SAMPLE, topic="order.created"
    )

    assert (response.status_code, response.json()["result"]) == (200, "received")
    delivery = processed(response)
    assert (delivery.state, delivery.reason, delivery.detail) == (
        DeliveryState.ATTENTION,
        "currency",
        "currency: USD",
    )
    assert (delivery.external_id, delivery.order) == ("727", None)
    assert delivery_body(delivery) == WOOCOMMERCE_SAMPLE
    assert stored_counts() == (0, 0)
    event = AuditEvent.objects.get(object_type="intake.inboxdelivery")
    assert (event.action, event.object_id) == (Action.CREATE, str(delivery.pk))


def test_woocommerces_sample_in_euros_is_an_order_at_the_rates_it_charged(client):
    """The sample's state tax is 7.5 %: no Finnish rate, recorded as charged."""
    integration, secret = shop("woocommerce")
    body = woocommerce_json(sample("woocommerce_order.json", currency="EUR"))

    delivery = processed(post_woocommerce(client, integration, secret, body))

    order = Order.objects.get()
    assert (delivery.state, delivery.outcome, delivery.order) == ("done", "created", order)
    assert (order.external_id, order.status, order.total_gross) == (
        "727",
        OrderStatus.CONFIRMED,
        Decimal("29.35"),
    )
    assert [(line.quantity, line.unit_price, line.vat_rate) for line in order.lines.all()] == [
        (2, Decimal("3.23"), Decimal("7.5")),
        (1, Decimal("12.90"), Decimal("7.5")),
        (1, Decimal("10.00"), Decimal("0.0")),  # its shipping carried no tax
    ]
    customer = Customer.objects.get()
    assert (customer.surname, customer.first_names, customer.email) == (
        "Doe",
        "John",
        "john.doe@example.com",
    )


def test_shopifys_test_notification_shows_a_working_connection_and_is_no_order(client):
    integration, secret = shop("shopify", name="Shopify-kauppa")

    response = post_shopify(client, integration, secret, SHOPIFY_SAMPLE, topic="orders/create")

    assert (response.status_code, response.json()["result"]) == (200, "received")
    delivery = processed(response)
    assert delivery.state == DeliveryState.TEST
    assert Integration.objects.get(pk=integration.pk).test_received_at == delivery.processed_at
    assert stored_counts() == (0, 0)


def test_shopifys_sample_as_a_real_order_in_euros_is_an_order(client):
    integration, secret = shop("shopify", name="Shopify-kauppa")
    data = sample("shopify_orders_create.json", test=False, currency="EUR")
    data["financial_status"] = "paid"

    delivery = processed(post_shopify(client, integration, secret, shopify_json(data)))

    order = Order.objects.get()
    assert (delivery.state, delivery.order) == (DeliveryState.DONE, order)
    assert order.external_id == "820982911946154508"
    assert order.total_gross == Decimal(data["total_price"])


def test_an_eu_customers_vat_under_the_one_stop_shop_is_recorded_as_charged(client):
    integration, secret = shop("woocommerce")
    data = woocommerce_order(shipping_lines=[], total="119.00", total_tax="19.00")
    data["billing"]["country"] = "DE"
    data["tax_lines"] = [{"id": 1, "rate_id": 9, "rate_percent": 19, "tax_total": "19.00"}]
    data["line_items"] = [
        {
            **data["line_items"][0],
            "quantity": 1,
            "total": "100.00",
            "total_tax": "19.00",
            "taxes": [{"id": 9, "total": "19.00", "subtotal": "19.00"}],
        }
    ]

    processed(post_woocommerce(client, integration, secret, woocommerce_json(data)))

    line = Order.objects.get().lines.get()
    assert (line.unit_price, line.vat_rate) == (Decimal("119.00"), Decimal("19.0"))


def woocommerce_variants() -> dict[str, dict[str, Any]]:
    guest = woocommerce_order(id=801, customer_id=0)
    dollars = woocommerce_order(id=802, currency="USD")
    no_surname = woocommerce_order(id=803)
    no_surname["billing"].update(last_name="", email="nimeton@example.fi")
    unknown_line = woocommerce_order(id=804)
    unknown_line["line_items"][0].update(sku="", product_id=0, name="")
    wrong_total = woocommerce_order(id=805, total="1.00")
    return {
        "guest": guest,
        "dollars": dollars,
        "no_surname": no_surname,
        "unknown_line": unknown_line,
        "wrong_total": wrong_total,
    }


def shopify_variants() -> dict[str, dict[str, Any]]:
    guest = shopify_order(id=901)
    guest.pop("customer")
    crowns = shopify_order(id=902, currency="SEK")
    no_name = shopify_order(id=903, email="nimeton@example.fi")
    for section in ("billing_address", "shipping_address", "customer"):
        no_name[section]["last_name"] = ""
    unknown_line = shopify_order(id=904)
    unknown_line["line_items"][0].update(
        sku="", variant_id=None, product_id=None, name="", title=""
    )
    pending = shopify_order(id=905, fulfillment_status="pending")
    return {
        "guest": guest,
        "crowns": crowns,
        "no_name": no_name,
        "unknown_line": unknown_line,
        "pending": pending,
    }


EXPECTED = {
    "guest": "done",
    "pending": "done",
    "dollars": "currency",
    "crowns": "currency",
    "no_surname": "invalid",
    "no_name": "invalid",
    "unknown_line": "invalid",
    "wrong_total": "lines_total",
}


def test_none_is_lost_each_is_an_order_or_waits_for_a_person(client):
    woo, woo_secret = shop("woocommerce")
    store, store_secret = shop("shopify", name="Shopify-kauppa")
    answers = {}
    for name, data in woocommerce_variants().items():
        answers[f"woocommerce {name}"] = post_woocommerce(
            client, woo, woo_secret, woocommerce_json(data), topic="order.created"
        )
    for name, data in shopify_variants().items():
        answers[f"shopify {name}"] = post_shopify(
            client, store, store_secret, shopify_json(data), topic="orders/create"
        )
    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 200
    )

    inbox_drain()

    became = {}
    for name, answer in answers.items():
        delivery = InboxDelivery.objects.get(public_id=answer.json()["receipt"])
        became[name] = "done" if delivery.state == DeliveryState.DONE else delivery.reason
        assert (delivery.order is not None) == (delivery.state == DeliveryState.DONE)
    assert became == {name: EXPECTED[name.split(" ", 1)[1]] for name in answers}
    done = [name for name, outcome in became.items() if outcome == "done"]
    assert Order.objects.count() == len(done) == 3
    assert not InboxDelivery.objects.filter(state=DeliveryState.WAITING).exists()


def test_a_redelivery_of_an_order_taken_changes_nothing(client):
    """WooCommerce sends no delivery id: the same bytes again are the same delivery."""
    integration, secret = shop("woocommerce")
    body = woocommerce_json(woocommerce_order())
    first = post_woocommerce(client, integration, secret, body)
    delivery = processed(first)
    events = AuditEvent.objects.count()

    again = post_woocommerce(client, integration, secret, body)

    assert (again.status_code, again.json()) == (
        200,
        {"result": "duplicate", "receipt": str(delivery.public_id)},
    )
    inbox_drain()
    assert InboxDelivery.objects.get() == delivery
    assert stored_counts() == (1, 1)
    assert AuditEvent.objects.count() == events


def test_a_copy_of_an_order_that_waits_does_not_wait_twice(client):
    """The catch-up sync's copy of an order a webhook brought, say: one item to handle."""
    integration, secret = shop("woocommerce")
    body = woocommerce_json(woocommerce_order(currency="USD"))
    first = processed(post_woocommerce(client, integration, secret, body))
    copy = delivery_store(integration=integration, source="sync", body=body, topic="sync")

    inbox_drain()

    copy.delivery.refresh_from_db()
    assert (first.state, first.reason) == (DeliveryState.ATTENTION, "currency")
    assert (copy.delivery.state, copy.delivery.outcome, copy.delivery.order) == (
        DeliveryState.DONE,
        "unchanged",
        None,
    )
    assert InboxDelivery.objects.filter(state=DeliveryState.ATTENTION).count() == 1
    assert stored_counts() == (0, 0)


def test_the_api_answers_at_once_and_the_receipt_tells_what_became_of_the_order(client):
    from rekisteri.intake.services import integration_create
    from rekisteri.testing.shops import ADMIN

    key = integration_create(actor=ADMIN, kind="generic", name="Kassa").api_key
    body = {
        "external_id": "K-1",
        "currency": "SEK",
        "customer": {"surname": "Laine", "first_names": "Aino", "email": "aino.laine@example.fi"},
        "lines": [{"sku": "HYL-120", "name": "Hylly", "unit_price": "899.00", "quantity": 1}],
        "payment_method": "prepaid",
    }

    answer = client.post(
        "/api/v1/orders", body, content_type="application/json", headers={"X-API-Key": key}
    )

    assert answer.status_code == 202
    receipt = answer.json()
    assert (receipt["state"], receipt["order_number"]) == ("waiting", None)
    assert answer.headers["Location"] == receipt["status_url"]
    inbox_drain()
    later = client.get(receipt["status_url"], headers={"X-API-Key": key}).json()
    assert (later["state"], later["order_number"]) == ("attention", None)
    assert "another currency" in later["reason"]
    assert stored_counts() == (0, 0)
