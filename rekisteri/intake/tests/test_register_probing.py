"""An integration cannot probe the register (security review finding 5): its answers carry no
customer number, an order whose email or identity code leads to a customer of another
name waits in the inbox for a person to handle and is attached to no one (the answer
names neither the customer nor the identifier that matched), and only integrations
that sell on invoice may send identity codes."""

from __future__ import annotations

import json
import unicodedata
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer
from rekisteri.intake.inbox import Reason
from rekisteri.intake.models import DeliveryState, InboxDelivery, Integration
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Order
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code
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
ADMIN = Actor.system("test")
URL = "/api/v1/orders"
MISMATCH = (
    "The buyer's email address or identity code belongs to an existing customer whose "
    "details differ. The order waits for a person to handle it."
)
NOT_AN_INVOICE_SELLER = (
    "This integration does not sell on invoice, so it may not send identity codes. "
    "Leave the code out, or ask the administrator to allow invoice sales."
)
ORDER_FIELDS = {
    "order_number",
    "external_id",
    "status",
    "payment_method",
    "currency",
    "total_gross",
    "total_vat",
    "total_net",
    "placed_at",
    "lines",
    "deliveries",
    "returns",
    "credit_check",
}


def api_client(*, sells_on_invoice: bool = False, name: str = "Verkkokauppa") -> Client:
    created = integration_create(
        actor=ADMIN, kind="generic", name=name, sells_on_invoice=sells_on_invoice
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {created.api_key}", HTTP_ACCEPT_LANGUAGE="en")


def order_body(*, surname="Virtanen", first_names="Aino", identity_code="", **customer):
    return {
        "external_id": "WEB-1001",
        "customer": {
            "surname": surname,
            "first_names": first_names,
            "email": "aino.virtanen@example.fi",
            "identity_code": identity_code,
            **customer,
        },
        "lines": [{"sku": "HYL-120", "name": "Hylly", "unit_price": "89.90", "quantity": 1}],
        "payment_method": "prepaid",
        "placed_at": "2026-11-20T10:00:00+02:00",
    }


def post(client: Client, body: dict[str, object]):
    """Posts the order to be processed at once (RFC 7240 `Prefer: wait`)."""
    return client.post(
        URL, json.dumps(body), content_type="application/json", headers={"Prefer": "wait=5"}
    )


def waiting_for_a_person(response, reason: str) -> InboxDelivery:
    """The delivery the 202 is the receipt of, which waits for a person for `reason`."""
    assert response.status_code == 202
    receipt = response.json()
    delivery = InboxDelivery.objects.get(public_id=receipt["receipt"])
    assert (receipt["state"], receipt["order_number"]) == ("attention", None)
    assert (delivery.state, delivery.reason, delivery.order_id) == (
        DeliveryState.ATTENTION,
        reason,
        None,
    )
    return delivery


def register_state() -> tuple[int, int, list[int]]:
    """(customers, orders, the customers that have orders)."""
    return (
        Customer.objects.count(),
        Order.objects.count(),
        sorted(Order.objects.values_list("customer_id", flat=True)),
    )


def test_an_order_answer_carries_no_customer_number():
    known = make_customer(surname="Virtanen", first_names="Aino", email="aino.virtanen@example.fi")

    response = post(api_client(), order_body())

    assert response.status_code == 201
    assert set(response.json()) == ORDER_FIELDS
    assert known.customer_number not in response.json().values()
    assert Order.objects.get().customer == known


def test_the_openapi_schema_shows_no_customer_number_to_integrations(customer_service_client):
    schemas = customer_service_client.get("/api/v1/openapi.json").json()["components"]["schemas"]

    assert set(schemas["OrderOut"]["properties"]) == ORDER_FIELDS
    assert set(schemas["ReceiptOut"]["properties"]) == {
        "receipt",
        "status_url",
        "state",
        "order_number",
        "reason",
        "detail",
        "received_at",
    }
    order_operations = customer_service_client.get("/api/v1/openapi.json").json()["paths"]
    assert "202" in order_operations["/api/v1/orders"]["post"]["responses"]


@pytest.mark.parametrize(
    ("surname", "first_names"),
    [
        ("VIRTANEN", "aino"),
        ("  Virtanen ", "Aino"),
        ("Virtanen", "Aino Maria"),
        (unicodedata.normalize("NFD", "Virtanen"), "Aino"),
    ],
)
def test_an_email_match_whose_name_agrees_is_attached(surname, first_names):
    known = make_customer(surname="Virtanen", first_names="Aino", email="aino.virtanen@example.fi")

    response = post(api_client(), order_body(surname=surname, first_names=first_names))

    assert response.status_code == 201
    assert register_state() == (1, 1, [known.pk])


def test_another_persons_email_with_another_name_waits_and_nothing_attached():
    victim = make_customer(
        surname="Virtanen",
        first_names="Aino",
        email="aino.virtanen@example.fi",
        phone="+358401234567",
    )
    api = api_client()
    before = register_state()
    events_before = AuditEvent.objects.count()

    response = post(api, order_body(surname="Korhonen", first_names="Kalle"))

    delivery = waiting_for_a_person(response, Reason.BUYER_MISMATCH)
    assert (response.json()["reason"], response.json()["detail"]) == (MISMATCH, "")
    for kept_back in ("Aino", "Virtanen", "358401234567", "customer_number", "by email"):
        assert kept_back not in response.content.decode()
    assert api.get(response.json()["status_url"]).json() == response.json()
    # Staff see which customer the match led to, and by what.
    assert (delivery.customer, delivery.detail) == (victim, "doubtful customer match by email")
    assert register_state() == before == (1, 0, [])
    assert AuditEvent.objects.count() == events_before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor_type, event.customer_id, event.object_id) == (
        Action.CREATE,
        ActorType.INTEGRATION,
        victim.pk,
        str(delivery.pk),
    )
    assert personal_text_decrypt(event) == "api: needs attention: buyer_mismatch"
    assert "Korhonen" not in event.reason + event.personal_reason


def test_another_persons_identity_code_with_another_name_waits_without_echoing_it():
    code = random_identity_code()
    victim = make_customer(
        surname="Virtanen", first_names="Aino", email="toinen@example.fi", identity_code=code
    )
    before = register_state()

    response = post(
        api_client(sells_on_invoice=True),
        order_body(surname="Korhonen", first_names="Kalle", identity_code=code),
    )

    delivery = waiting_for_a_person(response, Reason.BUYER_MISMATCH)
    assert (response.json()["reason"], response.json()["detail"]) == (MISMATCH, "")
    assert code not in response.content.decode()
    assert "by identity code" not in response.content.decode()
    assert (delivery.customer, delivery.detail) == (
        victim,
        "doubtful customer match by identity code",
    )
    assert register_state() == before
    event = AuditEvent.objects.latest("id")
    assert (event.customer_id, personal_text_decrypt(event)) == (
        victim.pk,
        "api: needs attention: buyer_mismatch",
    )
    assert code not in event.reason + str(personal_text_decrypt(event))


def test_an_email_of_a_customer_with_another_identity_code_waits():
    """Same name, same email, but the code sent is not the one the register holds."""
    victim = make_customer(
        surname="Virtanen",
        first_names="Aino",
        email="aino.virtanen@example.fi",
        with_identity_code=True,
    )
    other_code = random_identity_code()
    before = register_state()

    response = post(api_client(sells_on_invoice=True), order_body(identity_code=other_code))

    delivery = waiting_for_a_person(response, Reason.BUYER_MISMATCH)
    assert (response.json()["reason"], response.json()["detail"]) == (MISMATCH, "")
    assert other_code not in response.content.decode()
    assert delivery.customer == victim
    assert register_state() == before
    assert AuditEvent.objects.latest("id").customer_id == victim.pk


def test_an_identity_code_from_an_integration_not_selling_on_invoice_waits():
    code = random_identity_code()
    make_customer(surname="Virtanen", first_names="Aino", identity_code=code)
    before = register_state()

    response = post(api_client(), order_body(identity_code=code))

    # Not "not valid": the code may be valid; the integration may send none.
    delivery = waiting_for_a_person(response, Reason.INVALID)
    assert response.json()["detail"] == f"identity_code: {NOT_AN_INVOICE_SELLER}"
    assert code not in response.content.decode()
    assert code not in delivery.detail
    assert delivery.customer is None  # no customer was looked for
    assert register_state() == before
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.customer_id, event.reason) == (
        Action.CREATE,
        None,
        "api: needs attention: invalid",
    )


def test_the_receipt_does_not_call_a_valid_code_from_a_non_invoice_seller_invalid():
    response = post(api_client(), order_body(identity_code=random_identity_code()))

    assert response.status_code == 202
    assert "not valid" not in response.json()["reason"]


def test_an_invoice_order_from_an_integration_not_selling_on_invoice_waits():
    before = register_state()

    response = post(api_client(), {**order_body(), "payment_method": "invoice"})

    delivery = waiting_for_a_person(response, Reason.INVALID)
    assert delivery.detail.startswith("payment_method: This integration does not sell on invoice")
    assert register_state() == before


def test_an_integration_selling_on_invoice_may_send_identity_codes():
    code = random_identity_code()
    known = make_customer(surname="Virtanen", first_names="Aino", identity_code=code)

    response = post(api_client(sells_on_invoice=True), order_body(identity_code=code))

    assert response.status_code == 201
    assert register_state() == (1, 1, [known.pk])
    assert code not in response.content.decode()


def test_a_woocommerce_delivery_for_another_persons_email_waits(client):
    integration, secret = shop("woocommerce")
    victim = make_customer(
        surname="Virtanen", first_names="Aino", email="helena.hietala@example.fi"
    )
    before = stored_counts()

    response = post_woocommerce(
        client, integration, secret, woocommerce_json(woocommerce_order()), topic="order.created"
    )

    assert response.json() == {"result": "received", "receipt": response.json()["receipt"]}
    for kept_back in ("customer_number", "Aino", "Virtanen", "helena.hietala"):
        assert kept_back not in response.content.decode()
    delivery = processed(response)
    assert (delivery.state, delivery.reason, delivery.customer, delivery.order) == (
        DeliveryState.ATTENTION,
        Reason.BUYER_MISMATCH,
        victim,
        None,
    )
    assert stored_counts() == before == (1, 0)
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.customer_id, event.object_id, personal_text_decrypt(event)) == (
        Action.CREATE,
        victim.pk,
        str(delivery.pk),
        "woocommerce order.created: needs attention: buyer_mismatch",
    )


def test_a_shopify_delivery_whose_name_agrees_is_attached(client):
    integration, secret = shop("shopify")
    known = make_customer(
        surname="SOININEN", first_names="Katariina", email="katariina.soininen@example.fi"
    )

    response = post_shopify(
        client, integration, secret, shopify_json(shopify_order()), topic="orders/create"
    )

    assert set(response.json()) == {"result", "receipt"}
    delivery = processed(response)
    assert (delivery.state, delivery.order) == (DeliveryState.DONE, Order.objects.get())
    assert Order.objects.get().customer == known
    assert Customer.objects.count() == 1


def test_the_command_creates_an_integration_that_sells_on_invoice():
    call_command(
        "integrations", "create", "--kind", "generic", "--name", "Laskukauppa", "--invoice-sales"
    )
    call_command("integrations", "create", "--kind", "generic", "--name", "Korttikauppa")

    assert dict(Integration.objects.values_list("name", "sells_on_invoice")) == {
        "Laskukauppa": True,
        "Korttikauppa": False,
    }


def test_the_administrator_marks_a_new_integration_for_invoice_sales(client_as):
    administrator = client_as(Role.ADMINISTRATOR)

    response = administrator.post(
        reverse("intake:integration_create"),
        {"kind": "generic", "name": "Laskukauppa", "sells_on_invoice": "on"},
    )

    assert response.status_code == 200
    assert Integration.objects.get().sells_on_invoice is True
    listing = administrator.get(reverse("intake:integration_list"))
    assert "Sells on invoice" in listing.content.decode()


def test_the_command_turns_invoice_sales_on_and_off_audited():
    created = integration_create(actor=ADMIN, kind="generic", name="Verkkokauppa")
    out = StringIO()

    call_command(
        "integrations", "invoice-sales", str(created.integration.public_id), "on", stdout=out
    )
    marked = Integration.objects.get().sells_on_invoice
    call_command("integrations", "invoice-sales", str(created.integration.pk), "off", stdout=out)

    assert (marked, Integration.objects.get().sells_on_invoice) == (True, False)
    assert (
        out.getvalue() == "Verkkokauppa sells on invoice.\nVerkkokauppa does not sell on invoice.\n"
    )
    changes = AuditEvent.objects.filter(action=Action.UPDATE, object_type="intake.integration")
    assert list(changes.values_list("changed_fields", flat=True)) == [
        ["sells_on_invoice"],
        ["sells_on_invoice"],
    ]
