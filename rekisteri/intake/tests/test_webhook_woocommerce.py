"""WooCommerce's order webhooks: real deliveries, signed over the raw bytes (P10)."""

import itertools
import json
from decimal import Decimal

import pytest

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer, Source
from rekisteri.intake.woocommerce import payment_method
from rekisteri.orders.models import Order, OrderStatus, PaymentMethod
from rekisteri.testing.factories import make_customer
from rekisteri.testing.shops import (
    WOOCOMMERCE_ORDER_BYTES,
    post_woocommerce,
    processed,
    shop,
    stored_counts,
    woocommerce_json,
    woocommerce_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def woo():
    return shop("woocommerce")


def test_a_processing_order_becomes_a_confirmed_order_with_the_shops_lines(client, woo):
    integration, secret = woo

    response = post_woocommerce(
        client, integration, secret, WOOCOMMERCE_ORDER_BYTES, topic="order.created"
    )

    assert response.status_code == 200
    receipt = response.json()["receipt"]
    assert response.json() == {"result": "received", "receipt": receipt}
    assert stored_counts() == (0, 0)  # the worker makes the order a moment later
    delivery = processed(response)
    order = Order.objects.get()
    assert (delivery.state, delivery.outcome, delivery.order) == ("done", "created", order)
    assert (order.integration, order.external_id) == (integration, "727")
    assert (order.status, order.payment_method) == (OrderStatus.CONFIRMED, PaymentMethod.PREPAID)
    assert (order.total_gross, order.total_vat) == (Decimal("219.80"), Decimal("41.29"))
    assert [
        (line.sku, line.name, line.quantity, line.unit_price, line.vat_rate)
        for line in order.lines.all()
    ] == [
        ("HYL-120", "Hylly 120 cm", 2, Decimal("89.90"), Decimal("25.5")),
        ("112", "Kirja: Varastoinnin käsikirja", 1, Decimal("30.00"), Decimal("10.0")),
        ("flat_rate", "Posti Pakettiautomaatti", 1, Decimal("10.00"), Decimal("25.5")),
    ]
    assert order.notes == "Toimitus ovelle / soita ennen"
    assert (
        order.delivery_name,
        order.delivery_street_address,
        order.delivery_postal_code,
        order.delivery_post_office,
        order.delivery_country,
    ) == ("Helena Hietala", "Uunilinnuntie 1 B 12", "90404", "Vöyri", "FI")
    customer = Customer.objects.get()
    assert (customer.source, customer.email, customer.phone) == (
        Source.WEB_SHOP,
        "helena.hietala@example.fi",
        "+358401234567",
    )
    assert (customer.first_names, customer.surname) == ("Helena", "Hietala")


def test_the_delivery_is_audited_with_the_integration_as_actor(client, woo):
    integration, secret = woo

    processed(
        post_woocommerce(
            client, integration, secret, WOOCOMMERCE_ORDER_BYTES, topic="order.created"
        )
    )

    order = Order.objects.get()
    (delivery,) = [
        event
        for event in AuditEvent.objects.all()
        if personal_text_decrypt(event) == "woocommerce order.created: created"
    ]
    assert (delivery.actor_type, delivery.actor_label) == (
        "integration",
        "integration:Verkkokauppa",
    )
    assert (delivery.action, delivery.object_id, delivery.customer) == (
        Action.CREATE,
        str(order.pk),
        order.customer,
    )


def test_the_signature_is_of_the_raw_bytes_not_of_the_json_rewritten(client, woo):
    """WordPress escapes "/" and non-ASCII; the same JSON written by Python differs."""
    integration, secret = woo
    rewritten = json.dumps(json.loads(WOOCOMMERCE_ORDER_BYTES)).encode()
    from rekisteri.testing.shops import sign

    response = post_woocommerce(
        client, integration, secret, WOOCOMMERCE_ORDER_BYTES, signature=sign(rewritten, secret)
    )

    assert response.status_code == 401
    assert stored_counts() == (0, 0)


def test_the_ping_on_webhook_creation_gets_200_and_stores_nothing(client, woo):
    integration, _secret = woo
    events_before = AuditEvent.objects.count()

    response = client.post(
        f"/api/v1/webhooks/woocommerce/{integration.public_id}",
        "webhook_id=12",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert stored_counts() == (0, 0)
    assert AuditEvent.objects.count() == events_before


def test_a_guest_is_matched_to_a_known_customer_by_billing_email(client, woo):
    integration, secret = woo
    known = make_customer(
        email="helena.hietala@example.fi", surname="Hietala", first_names="Helena"
    )

    for order_id in (727, 728):
        body = woocommerce_json(woocommerce_order(id=order_id, customer_id=0))
        assert processed(post_woocommerce(client, integration, secret, body)).state == "done"

    assert list(Order.objects.values_list("customer", flat=True)) == [known.pk, known.pk]
    assert stored_counts() == (1, 2)


def test_foreign_addresses_are_kept_as_they_are(client, woo):
    integration, secret = woo
    data = woocommerce_order()
    data["billing"].update(
        address_1="Storgatan 5", address_2="", postcode="114 51", city="Stockholm", country="SE"
    )
    data["billing"]["phone"] = "+46 70 123 45 67"
    data["shipping"].update(
        address_1="Invalidenstraße 44", address_2="", postcode="10115", city="Berlin", country="DE"
    )

    processed(post_woocommerce(client, integration, secret, woocommerce_json(data)))

    customer, order = Customer.objects.get(), Order.objects.get()
    assert (customer.street_address, customer.postal_code, customer.post_office) == (
        "Storgatan 5",
        "114 51",
        "Stockholm",
    )
    assert (str(customer.country), customer.phone) == ("SE", "+46701234567")
    assert (
        order.delivery_street_address,
        order.delivery_postal_code,
        order.delivery_post_office,
        order.delivery_country,
    ) == ("Invalidenstraße 44", "10115", "Berlin", "DE")


@pytest.mark.parametrize(
    ("shop_status", "expected"),
    [
        ("pending", OrderStatus.RECEIVED),
        ("on-hold", OrderStatus.RECEIVED),
        ("processing", OrderStatus.CONFIRMED),
        ("completed", OrderStatus.COMPLETED),
        ("cancelled", OrderStatus.CANCELLED),
        ("refunded", OrderStatus.CANCELLED),
        ("failed", OrderStatus.CANCELLED),
    ],
)
def test_woocommerce_statuses_map_to_ours(client, woo, shop_status, expected):
    integration, secret = woo

    body = woocommerce_json(woocommerce_order(status=shop_status))
    processed(post_woocommerce(client, integration, secret, body))

    assert Order.objects.get().status == expected


@pytest.mark.parametrize(
    ("gateway", "expected"),
    [
        ("bacs", PaymentMethod.PREPAID),
        ("cheque", PaymentMethod.PREPAID),
        ("paytrail", PaymentMethod.PREPAID),
        ("", PaymentMethod.PREPAID),
        ("cod", PaymentMethod.CASH_ON_DELIVERY),
        ("walley_invoice", PaymentMethod.INVOICE),
        ("yrityslasku", PaymentMethod.INVOICE),
    ],
)
def test_payment_gateways_map_to_payment_methods(gateway, expected):
    assert payment_method(gateway) == expected


def test_a_line_without_taxes_gets_the_general_vat_rate(client, woo):
    integration, secret = woo
    data = woocommerce_order(shipping_lines=[], tax_lines=[], total="179.80", total_tax="0.00")
    data["line_items"] = [
        {**data["line_items"][0], "total": "179.80", "total_tax": "0.00", "taxes": []}
    ]

    processed(post_woocommerce(client, integration, secret, woocommerce_json(data)))

    line = Order.objects.get().lines.get()
    assert (line.unit_price, line.vat_rate) == (Decimal("89.90"), Decimal("25.5"))


def _delivery(status: str, modified: str, topic: str = "order.updated") -> tuple[str, bytes]:
    return topic, woocommerce_json(woocommerce_order(status=status, date_modified_gmt=modified))


@pytest.mark.parametrize(
    "order_of_arrival", list(itertools.permutations(range(3))), ids=lambda p: "".join(map(str, p))
)
def test_deliveries_in_any_order_and_replayed_converge_to_the_newest_state(
    client, woo, order_of_arrival
):
    integration, secret = woo
    deliveries = [
        _delivery("pending", "2026-11-02T10:15:09", topic="order.created"),
        _delivery("processing", "2026-11-02T10:20:00"),
        _delivery("completed", "2026-11-04T08:00:00"),
    ]

    for index in [*order_of_arrival, *order_of_arrival]:
        topic, body = deliveries[index]
        assert processed(
            post_woocommerce(client, integration, secret, body, topic=topic)
        ).state == ("done")

    order = Order.objects.get()
    assert (order.status, order.total_gross, order.total_vat) == (
        OrderStatus.COMPLETED,
        Decimal("219.80"),
        Decimal("41.29"),
    )
    assert stored_counts() == (1, 1)


def test_an_update_older_than_the_stored_one_is_ignored(client, woo):
    integration, secret = woo
    processed(post_woocommerce(client, integration, secret, woocommerce_json(woocommerce_order())))
    newer = woocommerce_order(status="cancelled", date_modified_gmt="2026-11-02T11:00:00")
    older = woocommerce_order(status="completed", date_modified_gmt="2026-11-02T10:30:00")

    processed(post_woocommerce(client, integration, secret, woocommerce_json(newer)))
    delivery = processed(post_woocommerce(client, integration, secret, woocommerce_json(older)))

    assert (delivery.state, delivery.outcome) == ("done", "stale")
    assert Order.objects.get().status == OrderStatus.CANCELLED


def test_a_refund_after_completion_leaves_the_order_completed(client, woo):
    """Money back after delivery is a return, which staff record; it is no cancel."""
    integration, secret = woo
    completed = woocommerce_order(status="completed", date_modified_gmt="2026-11-05T08:00:00")
    refunded = woocommerce_order(status="refunded", date_modified_gmt="2026-11-09T08:00:00")

    processed(post_woocommerce(client, integration, secret, woocommerce_json(completed)))
    processed(post_woocommerce(client, integration, secret, woocommerce_json(refunded)))

    assert Order.objects.get().status == OrderStatus.COMPLETED


def test_other_topics_are_taken_and_ignored(client, woo):
    integration, secret = woo

    body = woocommerce_json({"id": 727})
    response = post_woocommerce(client, integration, secret, body, topic="order.deleted")

    assert (response.status_code, response.json()["result"]) == (200, "ignored")
    assert processed(response).state == "ignored"
    assert stored_counts() == (0, 0)
