"""Invoice orders sent to the orders API are checked with the credit bureau at the time
of the order (P12). The integration learns the decision and the notice to pass on, and
nothing else: no reason, no classification, no default count, never the code.

The orders are sent with `Prefer: wait` (RFC 7240), to be processed at once; one that
cannot be checked as it stands waits in the inbox for a person, and one over the
integration's credit checks for the hour waits for the next hour."""

from __future__ import annotations

import datetime
import json
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rekisteri import ratelimit
from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.credit.models import CreditCheck
from rekisteri.credit.tests.simulator_codes import code_for
from rekisteri.customers.models import Customer
from rekisteri.intake.inbox import Reason, inbox_drain
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Order
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders"
NOTICE = "Creditworthiness was checked from Suomen Asiakastieto Oy."


@pytest.fixture
def shop(db):
    return integration_create(
        actor=Actor.system("test"), kind="generic", name="Verkkokauppa", sells_on_invoice=True
    )


@pytest.fixture
def api(shop) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {shop.api_key}", HTTP_ACCEPT_LANGUAGE="en")


def order_body(payment_method: str = "invoice", identity_code: str = "") -> dict[str, object]:
    return {
        "external_id": "WEB-2001",
        "customer": {
            "surname": "Virtanen",
            "first_names": "Aino",
            "email": "aino.virtanen@example.fi",
            "identity_code": identity_code,
            "street_address": "Hintantie 1",
            "postal_code": "90650",
            "post_office": "Oulu",
        },
        "lines": [{"sku": "HYL-120", "name": "Hylly 120 cm", "unit_price": "89.90", "quantity": 2}],
        "payment_method": payment_method,
        "placed_at": "2026-11-20T10:00:00+02:00",
    }


def post(client: Client, body: dict[str, object]):
    """Posts the order to be processed at once (RFC 7240 `Prefer: wait`)."""
    return client.post(
        URL, json.dumps(body), content_type="application/json", headers={"Prefer": "wait=5"}
    )


def waiting_for_a_person(response, reason: str) -> InboxDelivery:
    """The delivery the 202 is the receipt of, which waits for a person for `reason`,
    audited as such."""
    assert response.status_code == 202
    receipt = response.json()
    assert (receipt["state"], receipt["order_number"]) == ("attention", None)
    delivery = InboxDelivery.objects.get(public_id=receipt["receipt"])
    assert (delivery.state, delivery.reason, delivery.order_id) == (
        DeliveryState.ATTENTION,
        reason,
        None,
    )
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor_type, event.object_type, event.reason) == (
        Action.CREATE,
        ActorType.INTEGRATION,
        "intake.inboxdelivery",
        f"api: needs attention: {reason}",
    )
    return delivery


@pytest.mark.parametrize(
    ("individual", "decision", "reason_code"),
    [
        (912, "approved", "no_payment_defaults"),
        (955, "declined", "payment_defaults"),
        (977, "referred", "unknown_person"),
        (993, "referred", "error:http_500"),
    ],
)
def test_an_invoice_order_gets_the_credit_decision_and_no_more(
    api, bureau, individual, decision, reason_code
):
    code = code_for(individual)

    response = post(api, order_body(identity_code=code))

    body = response.content.decode()
    order = Order.objects.get()
    check = CreditCheck.objects.get()
    assert response.status_code == 201
    assert response.json()["credit_check"] == {"decision": decision, "notice": NOTICE}
    assert len(bureau.recorded_queries) == 1
    assert (check.order_id, check.decision, check.reason_code) == (order.pk, decision, reason_code)
    assert check.requested_by_user_id is None
    assert check.requested_by_label == "integration:Verkkokauppa"
    for kept_back in (code, reason_code, "MHL", "default_count", "classification"):
        assert kept_back not in body
    event = AuditEvent.objects.get(action=Action.CREDIT_CHECK)
    assert (event.customer_id, event.actor_type) == (order.customer_id, ActorType.INTEGRATION)
    assert personal_text_decrypt(event) == f"{decision}: {reason_code}"


def test_reading_the_order_shows_the_decision_after_a_persons_review(
    api, bureau, customer_service_client
):
    created = post(api, order_body(identity_code=code_for(975))).json()
    check = CreditCheck.objects.get()
    customer_service_client.post(
        reverse("orders:credit_review", args=[check.order.order_number]),
        {"decision": "approved", "reason": "Asiakas tunnistettu puhelimessa"},
    )

    response = api.get(reverse("api:order_read", kwargs={"order_number": created["order_number"]}))

    assert created["credit_check"] == {"decision": "referred", "notice": NOTICE}
    assert response.status_code == 200
    assert response.json()["credit_check"] == {"decision": "approved", "notice": NOTICE}
    assert "Asiakas tunnistettu" not in response.content.decode()


def test_an_invoice_order_without_an_identity_code_waits_and_nothing_is_stored(api, bureau):
    events_before = AuditEvent.objects.count()

    response = post(api, order_body())

    waiting_for_a_person(response, Reason.INVALID)
    assert response.json()["detail"] == (
        "payment_method: An invoice order needs the customer's personal identity code for "
        "the credit check. Give it with the order, or choose another payment method."
    )
    assert (Order.objects.count(), Customer.objects.count(), CreditCheck.objects.count()) == (
        0,
        0,
        0,
    )
    assert bureau.recorded_queries == []
    assert AuditEvent.objects.count() == events_before + 1


@pytest.mark.parametrize("payment_method", ["prepaid", "cash_on_delivery"])
def test_orders_not_on_invoice_make_no_request_and_carry_no_credit_check(
    api, bureau, payment_method
):
    response = post(api, order_body(payment_method=payment_method, identity_code=code_for(941)))

    assert response.status_code == 201
    assert response.json()["credit_check"] is None
    assert bureau.recorded_queries == []
    assert not CreditCheck.objects.exists()


def test_the_openapi_schema_describes_the_credit_check(customer_service_client):
    schema = customer_service_client.get("/api/v1/openapi.json").json()

    assert set(schema["components"]["schemas"]["CreditCheckOut"]["properties"]) == {
        "decision",
        "notice",
    }


def invoice_order(number: int) -> dict[str, object]:
    """The invoice order of a buyer of their own (a code and email of theirs)."""
    body = order_body(identity_code=code_for(910 + number))
    body["customer"]["email"] = f"asiakas.{number}@example.fi"  # type: ignore[index]
    return {**body, "external_id": f"WEB-{number}"}


def register() -> tuple[int, int, int]:
    return Order.objects.count(), Customer.objects.count(), CreditCheck.objects.count()


def test_credit_checks_stop_at_the_integrations_hourly_limit(api, bureau, settings, monkeypatch):
    """Over REKISTERI_CREDIT_CHECKS_PER_HOUR the bureau is not asked and nothing is
    stored in the register: the order waits in the inbox for the next hour, and the
    worker takes it then."""
    settings.CREDIT_CHECKS_PER_HOUR = 2
    assert [post(api, invoice_order(number)).status_code for number in (1, 2)] == [201, 201]
    before = register()
    events_before = AuditEvent.objects.count()

    response = post(api, invoice_order(3))

    assert response.status_code == 202
    receipt = response.json()
    assert (receipt["state"], receipt["order_number"], receipt["reason"], receipt["detail"]) == (
        "waiting",
        None,
        "",
        "",
    )
    delivery = InboxDelivery.objects.get(public_id=receipt["receipt"])
    now = timezone.now()
    assert delivery.state == DeliveryState.WAITING
    next_attempt_at = delivery.next_attempt_at
    assert next_attempt_at is not None
    assert now < next_attempt_at <= now + datetime.timedelta(hours=1)
    assert len(bureau.recorded_queries) == 2
    assert register() == before
    assert AuditEvent.objects.count() == events_before
    assert inbox_drain() == {}  # not before its time
    assert len(bureau.recorded_queries) == 2

    hour_ago = ratelimit._now
    monkeypatch.setattr(ratelimit, "_now", lambda: hour_ago() + 3600)
    with mock.patch(
        "django.utils.timezone.now",
        return_value=next_attempt_at + datetime.timedelta(seconds=1),
    ):
        assert inbox_drain() == {"created": 1}

    assert len(bureau.recorded_queries) == 3
    order = Order.objects.get(external_id="WEB-3")
    check = CreditCheck.objects.get(order=order)
    assert (check.decision, check.requested_by_label) == ("approved", "integration:Verkkokauppa")
    later = api.get(receipt["status_url"]).json()
    assert (later["state"], later["order_number"]) == ("done", order.order_number)
    read = api.get(reverse("api:order_read", kwargs={"order_number": order.order_number}))
    assert read.json()["credit_check"] == {"decision": "approved", "notice": NOTICE}


def test_another_integrations_credit_checks_are_counted_apart(api, bureau, settings):
    settings.CREDIT_CHECKS_PER_HOUR = 1
    other = integration_create(
        actor=Actor.system("test"), kind="generic", name="Toinen kauppa", sells_on_invoice=True
    )
    other_api = Client(HTTP_AUTHORIZATION=f"Bearer {other.api_key}")
    assert post(api, invoice_order(1)).status_code == 201

    response = post(other_api, invoice_order(2))

    assert response.status_code == 201
    assert len(bureau.recorded_queries) == 2


def test_a_known_customers_stored_code_is_never_checked_for_an_integration(api, bureau):
    """An invoice order without a code is refused even when the email leads to a
    customer whose code the register holds: a decision on that code would tell the
    integration about them."""
    make_customer(
        surname="Virtanen",
        first_names="Aino",
        email="aino.virtanen@example.fi",
        identity_code=code_for(955),
    )

    response = post(api, order_body())

    delivery = waiting_for_a_person(response, Reason.INVALID)
    assert delivery.detail.startswith("payment_method:")
    assert delivery.customer is None
    assert bureau.recorded_queries == []
    assert (Order.objects.count(), CreditCheck.objects.count()) == (0, 0)
