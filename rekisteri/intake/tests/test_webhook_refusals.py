"""Deliveries not proven to come from the shop, or not JSON, get a clear 4xx, store
nothing and are audited; a signed one that cannot become an order as it stands is
answered 200 and waits for a person."""

import uuid

import pytest

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.intake.inbox import delivery_body
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.intake.services import integration_revoke
from rekisteri.orders.models import Order, OrderStatus
from rekisteri.testing.shops import (
    ADMIN,
    SHOPIFY_ORDER_BYTES,
    WOOCOMMERCE_ORDER_BYTES,
    post_shopify,
    post_woocommerce,
    processed,
    refusals,
    shop,
    shopify_json,
    shopify_order,
    sign,
    stored_counts,
    woocommerce_json,
    woocommerce_order,
)

pytestmark = pytest.mark.django_db
ACTOR = "integration:Verkkokauppa"


@pytest.fixture(params=["woocommerce", "shopify"])
def kind(request):
    return request.param


def deliver(client, kind, integration, secret, body, **options):
    post = post_woocommerce if kind == "woocommerce" else post_shopify
    return post(client, integration, secret, body, **options)


def order_body(kind, **changes):
    if kind == "woocommerce":
        return woocommerce_json(woocommerce_order(**changes))
    return shopify_json(shopify_order(**changes))


def with_first_line(kind, **changes):
    data = woocommerce_order() if kind == "woocommerce" else shopify_order()
    data["line_items"][0].update(changes)
    return woocommerce_json(data) if kind == "woocommerce" else shopify_json(data)


def test_a_missing_signature_is_refused_and_audited(client, kind):
    integration, secret = shop(kind)

    response = deliver(client, kind, integration, secret, order_body(kind), signature="")

    assert (response.status_code, response.json()) == (401, {"result": "bad signature"})
    assert stored_counts() == (0, 0)
    assert refusals() == [(ACTOR, "bad signature")]


def test_a_signature_with_another_secret_is_refused(client, kind):
    integration, secret = shop(kind)
    body = order_body(kind)

    response = deliver(client, kind, integration, secret, body, signature=sign(body, "arvaus"))

    assert response.status_code == 401
    assert stored_counts() == (0, 0)
    assert refusals() == [(ACTOR, "bad signature")]


def test_a_body_changed_after_signing_is_refused(client, kind):
    integration, secret = shop(kind)
    body = WOOCOMMERCE_ORDER_BYTES if kind == "woocommerce" else SHOPIFY_ORDER_BYTES

    response = deliver(
        client,
        kind,
        integration,
        secret,
        body.replace(b"24.90", b"2.49").replace(b'"143.27"', b'"14.33"'),
        signature=sign(body, secret),
    )

    assert response.status_code == 401
    assert stored_counts() == (0, 0)


def test_an_unknown_integration_is_refused_and_audited(client, kind):
    url = f"/api/v1/webhooks/{kind}/{uuid.uuid4()}"

    response = client.post(url, b"{}", content_type="application/json")

    assert response.status_code == 404
    assert stored_counts() == (0, 0)
    assert refusals() == [("", f"{kind} webhook: unknown integration")]


def test_a_revoked_integration_is_refused(client, kind):
    integration, secret = shop(kind)
    integration_revoke(actor=ADMIN, integration=integration)

    response = deliver(client, kind, integration, secret, order_body(kind))

    assert response.status_code == 404
    assert stored_counts() == (0, 0)


def test_an_integration_of_the_other_kind_is_refused(client):
    integration, secret = shop("woocommerce")

    response = post_shopify(client, integration, secret, SHOPIFY_ORDER_BYTES)

    assert response.status_code == 404
    assert stored_counts() == (0, 0)


@pytest.mark.parametrize("body", [b"{not json", b'{"id": NaN}', b"\xff\xfe"])
def test_malformed_json_is_refused_and_audited(client, kind, body):
    integration, secret = shop(kind)

    response = deliver(client, kind, integration, secret, body)

    assert response.status_code == 400
    assert stored_counts() == (0, 0)
    assert not InboxDelivery.objects.exists()
    assert refusals() == [(ACTOR, "malformed JSON")]


def test_a_body_over_one_megabyte_is_refused_unread(client, kind):
    integration, secret = shop(kind)
    body = b'{"padding": "' + b"x" * (1024 * 1024) + b'"}'

    response = deliver(client, kind, integration, secret, body)

    assert response.status_code == 413
    assert stored_counts() == (0, 0)
    assert refusals() == [(ACTOR, "body too large")]


def waiting_for_a_person(response, kind):
    """The delivery behind a 200, processed, as it waits in the list customer service
    works from; the register itself unchanged."""
    delivery = processed(response)
    assert (delivery.state, delivery.order) == (DeliveryState.ATTENTION, None)
    assert stored_counts() == (0, 0)
    topic = "order.updated" if kind == "woocommerce" else "orders/updated"
    (event,) = AuditEvent.objects.filter(object_type="intake.inboxdelivery")
    assert (event.action, event.object_id, event.actor_label) == (
        Action.CREATE,
        str(delivery.pk),
        ACTOR,
    )
    assert event.reason == f"{kind} {topic}: needs attention: {delivery.reason}"
    return delivery


def test_json_that_is_no_order_object_waits_for_a_person(client, kind):
    integration, secret = shop(kind)

    response = deliver(client, kind, integration, secret, b"[1, 2]")

    delivery = waiting_for_a_person(response, kind)
    assert delivery.reason == "not_an_order"
    assert delivery_body(delivery) == b"[1, 2]"


@pytest.mark.parametrize("quantity", [0, -1, 2.5, "2"])
def test_a_quantity_that_is_not_a_positive_whole_number_waits_for_a_person(client, kind, quantity):
    integration, secret = shop(kind)

    response = deliver(client, kind, integration, secret, with_first_line(kind, quantity=quantity))

    delivery = waiting_for_a_person(response, kind)
    assert (delivery.reason, delivery.detail.split(":")[0]) == ("invalid", "lines")


def test_an_unknown_status_is_taken_as_received(client, kind):
    """A plugin's own status loses no order; the order waits where it is."""
    integration, secret = shop(kind)
    changes = (
        {"status": "wc-shipped-custom"}
        if kind == "woocommerce"
        else {"financial_status": "mostly_paid"}
    )

    response = deliver(client, kind, integration, secret, order_body(kind, **changes))

    assert processed(response).state == DeliveryState.DONE
    assert Order.objects.get().status == OrderStatus.RECEIVED


def test_a_buyer_without_email_or_identity_code_waits_for_a_person(client, kind):
    integration, secret = shop(kind)
    if kind == "woocommerce":
        data = woocommerce_order()
        data["billing"]["email"] = ""
        body = woocommerce_json(data)
    else:
        data = shopify_order(email="", contact_email=None)
        data["customer"]["email"] = None
        body = shopify_json(data)

    response = deliver(client, kind, integration, secret, body)

    delivery = waiting_for_a_person(response, kind)
    assert (delivery.reason, delivery.detail.split(":")[0]) == ("invalid", "customer")


def test_a_shopify_id_sent_as_a_float_waits_for_a_person(client):
    """A float cannot hold Shopify's ids exactly, so one is never taken as an id."""
    integration, secret = shop("shopify")
    body = SHOPIFY_ORDER_BYTES.replace(b"5890123456789012345,", b"5.890123456789012e18,", 1)

    response = post_shopify(client, integration, secret, body)

    delivery = waiting_for_a_person(response, "shopify")
    assert (delivery.reason, delivery.detail.split(":")[0]) == ("invalid", "external_id")


def test_shopifys_retry_of_a_delivery_that_waits_changes_nothing(client):
    """The delivery is kept with its webhook id: the retry is the same delivery."""
    integration, secret = shop("shopify")
    bad = SHOPIFY_ORDER_BYTES.replace(b"5890123456789012345,", b"5.890123456789012e18,", 1)
    first = post_shopify(client, integration, secret, bad, webhook_id="wh-9")
    waiting_for_a_person(first, "shopify")

    again = post_shopify(client, integration, secret, bad, webhook_id="wh-9")

    assert (again.status_code, again.json()["result"]) == (200, "duplicate")
    assert InboxDelivery.objects.get().state == DeliveryState.ATTENTION
    assert stored_counts() == (0, 0)


def test_a_get_is_not_allowed(client, kind):
    integration, _secret = shop(kind)
    events_before = AuditEvent.objects.count()

    response = client.get(f"/api/v1/webhooks/{kind}/{integration.public_id}")

    assert response.status_code == 405
    assert AuditEvent.objects.count() == events_before
