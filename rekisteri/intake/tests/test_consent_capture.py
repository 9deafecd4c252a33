"""Marketing consents that come with web shop orders: WooCommerce order meta and
Shopify's customer consent fields become grants with the order as evidence, once,
when the order is created (P3, P11)."""

from typing import Any

import pytest

from rekisteri.consents.models import ConsentEvent, ConsentText
from rekisteri.customers.models import Customer, Status
from rekisteri.intake.inbox import inbox_drain
from rekisteri.orders.models import Order
from rekisteri.testing.factories import make_customer
from rekisteri.testing.shops import (
    post_shopify,
    post_woocommerce,
    processed,
    shop,
    shopify_json,
    shopify_order,
    woocommerce_json,
    woocommerce_order,
)

pytestmark = pytest.mark.django_db


def with_meta(*entries: tuple[str, Any]) -> dict[str, Any]:
    data = woocommerce_order()
    data["meta_data"] = [
        *data["meta_data"],
        *({"id": 6000 + n, "key": key, "value": value} for n, (key, value) in enumerate(entries)),
    ]
    return data


def with_customer(**fields: Any) -> dict[str, Any]:
    data = shopify_order()
    data["customer"] = {**data["customer"], **fields}
    return data


def grants() -> list[tuple[str, str, str, int | None]]:
    return list(
        ConsentEvent.objects.order_by("id").values_list("kind", "channel", "source", "order_id")
    )


def test_a_woocommerce_consent_meta_is_a_grant_with_the_order_and_browser_as_evidence(client):
    integration, secret = shop("woocommerce")
    body = woocommerce_json(with_meta(("_rekisteri_marketing_email", "yes")))

    response = post_woocommerce(client, integration, secret, body, topic="order.created")

    assert processed(response).state == "done"
    order = Order.objects.get()
    event = ConsentEvent.objects.get()
    assert (event.customer, event.kind, event.channel, event.source, event.order) == (
        order.customer,
        "grant",
        "email",
        "web_shop_checkout",
        order,
    )
    # The shop does not say its wording: the current text stands for it.
    assert event.text == ConsentText.objects.get(channel="email", version=1)
    assert (event.ip_address, event.user_agent) == ("192.0.2.44", "Mozilla/5.0 (X11; Linux x86_64)")
    assert event.staff_user is None


def test_each_accepted_woocommerce_key_and_value(client):
    integration, secret = shop("woocommerce")
    body = woocommerce_json(
        with_meta(
            ("marketing_consent_email", "1"),
            ("_rekisteri_marketing_email", "yes"),
            ("marketing_consent_sms", "no"),
            ("_rekisteri_marketing_sms", ""),
            ("newsletter", "yes"),
        )
    )

    post_woocommerce(client, integration, secret, body, topic="order.created")
    inbox_drain()

    order = Order.objects.get()
    assert grants() == [("grant", "email", "web_shop_checkout", order.pk)]


def test_a_woocommerce_order_without_consent_meta_records_no_consent(client):
    integration, secret = shop("woocommerce")

    post_woocommerce(
        client, integration, secret, woocommerce_json(woocommerce_order()), topic="order.created"
    )
    inbox_drain()

    assert Order.objects.count() == 1
    assert not ConsentEvent.objects.exists()


def test_a_replayed_or_updated_order_records_its_consent_only_once(client):
    integration, secret = shop("woocommerce")
    first = with_meta(("marketing_consent_sms", "yes"))
    later = {**first, "date_modified_gmt": "2026-11-03T08:00:00", "status": "completed"}

    post_woocommerce(client, integration, secret, woocommerce_json(first), topic="order.created")
    inbox_drain()
    post_woocommerce(client, integration, secret, woocommerce_json(first))
    inbox_drain()
    post_woocommerce(client, integration, secret, woocommerce_json(later))
    inbox_drain()

    assert [kind_channel[:2] for kind_channel in grants()] == [("grant", "sms")]


def test_shopify_subscribed_email_marketing_consent_is_a_grant(client):
    integration, secret = shop("shopify", name="Shopify-kauppa")
    data = with_customer(
        email_marketing_consent={
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": "2026-11-03T12:01:55+02:00",
        },
        sms_marketing_consent=None,
    )

    response = post_shopify(client, integration, secret, shopify_json(data), topic="orders/create")

    assert processed(response).state == "done"
    order = Order.objects.get()
    assert grants() == [("grant", "email", "web_shop_checkout", order.pk)]
    assert ConsentEvent.objects.get().ip_address == "192.0.2.80"


def test_shopify_subscribed_sms_marketing_consent_is_a_grant(client):
    integration, secret = shop("shopify", name="Shopify-kauppa")
    data = with_customer(
        email_marketing_consent={"state": "not_subscribed"},
        sms_marketing_consent={"state": "subscribed", "opt_in_level": "single_opt_in"},
    )

    post_shopify(client, integration, secret, shopify_json(data), topic="orders/create")
    inbox_drain()

    assert [g[:2] for g in grants()] == [("grant", "sms")]


def test_shopifys_older_accepts_marketing_fields_are_read_when_the_consent_object_is_absent(
    client,
):
    integration, secret = shop("shopify", name="Shopify-kauppa")

    post_shopify(
        client,
        integration,
        secret,
        shopify_json(shopify_order(buyer_accepts_marketing=True)),
        topic="orders/create",
    )
    inbox_drain()

    assert [g[:2] for g in grants()] == [("grant", "email")]


def test_shopifys_consent_object_decides_over_the_older_field(client):
    integration, secret = shop("shopify", name="Shopify-kauppa")
    data = with_customer(email_marketing_consent={"state": "unsubscribed"}, accepts_marketing=True)
    data["buyer_accepts_marketing"] = True

    post_shopify(client, integration, secret, shopify_json(data), topic="orders/create")
    inbox_drain()

    assert Order.objects.count() == 1
    assert not ConsentEvent.objects.exists()


def test_the_shopify_fixture_as_is_records_no_consent(client):
    integration, secret = shop("shopify", name="Shopify-kauppa")

    post_shopify(client, integration, secret, shopify_json(shopify_order()), topic="orders/create")
    inbox_drain()

    assert Order.objects.count() == 1
    assert not ConsentEvent.objects.exists()


def test_a_restricted_customers_order_waits_for_the_privacy_officer_and_no_consent_is_given(
    client,
):
    """While the customer's processing is restricted (GDPR art. 18) the shop's order
    waits in the inbox (rekisteri/privacy/restriction) and no consent is recorded."""
    integration, secret = shop("woocommerce")
    customer = make_customer(
        email="helena.hietala@example.fi", surname="Hietala", first_names="Helena"
    )
    Customer.objects.filter(pk=customer.pk).update(status=Status.RESTRICTED)
    body = woocommerce_json(with_meta(("_rekisteri_marketing_email", "yes")))

    response = post_woocommerce(client, integration, secret, body, topic="order.created")

    delivery = processed(response)
    assert (delivery.state, delivery.reason, delivery.customer) == (
        "attention",
        "restricted",
        customer,
    )
    assert not Order.objects.exists()
    assert not ConsentEvent.objects.exists()
