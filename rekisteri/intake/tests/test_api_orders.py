"""Orders through the API: key auth, idempotency, the inbox and its receipts, refusals
that store nothing, and orders that wait for a person (P10).

An authentic request is stored in the inbox and answered 202 with a receipt; with
`Prefer: wait=N` it is processed at once and answered with the order. One that cannot
become an order as it stands waits for a person ("attention"), and the register is
left as it was."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from faker import Faker

from rekisteri.audit.models import Action, ActorType, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer, Source
from rekisteri.intake.inbox import Reason, inbox_drain
from rekisteri.intake.models import DeliverySource, DeliveryState, InboxDelivery, Integration
from rekisteri.intake.services import integration_create, integration_revoke
from rekisteri.orders.models import Order, OrderLine, OrderStatus
from rekisteri.orders.services import delivery_create
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db
fake = Faker("fi_FI")
ADMIN = Actor.system("test")
URL = "/api/v1/orders"
# RFC 7240: process the order at once and answer with it.
WAIT = {"Prefer": "wait=5"}


@pytest.fixture
def shop():
    """A shop that sells on invoice, so that it may send identity codes."""
    return integration_create(
        actor=ADMIN, kind="generic", name="Verkkokauppa", sells_on_invoice=True
    )


@pytest.fixture
def api(shop):
    """A client with no session at all: only the key says who is calling."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {shop.api_key}")


def order_body(external_id="WEB-1001", **overrides):
    body = {
        "external_id": external_id,
        "customer": {
            "surname": "Virtanen",
            "first_names": "Aino",
            "email": "aino.virtanen@example.fi",
            "phone": "+358401234567",
            "street_address": "Hintantie 1",
            "postal_code": "90650",
            "post_office": "Oulu",
        },
        "lines": [
            {"sku": "HYL-120", "name": "Hylly 120 cm", "unit_price": "89.90", "quantity": 2},
            {"sku": "KOR-1", "name": "Kori", "unit_price": 12.5, "vat_rate": 25.5, "quantity": 1},
        ],
        "payment_method": "prepaid",
        "placed_at": "2026-11-20T10:00:00+02:00",
        "modified_at": "2026-11-20T10:00:00+02:00",
    }
    body.update(overrides)
    return body


def post(client, body, *, wait=True, **headers):
    """Posts the order; with `wait`, asking for it to be processed at once."""
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = {**WAIT, **headers} if wait else headers
    return client.post(URL, raw, content_type="application/json", headers=headers)


def counts():
    return (Order.objects.count(), Customer.objects.count(), AuditEvent.objects.count())


def stored():
    """(orders, customers, deliveries in the inbox)."""
    return (Order.objects.count(), Customer.objects.count(), InboxDelivery.objects.count())


def reason_of(event):
    return event.reason or str(personal_text_decrypt(event))


def reasons(events):
    return [reason_of(event) for event in events]


def assert_waits_for_a_person(response, reason, *, customer=None):
    """The answer is the receipt of a delivery that waits for a person for `reason`,
    audited as such; returns the delivery."""
    assert response.status_code == 202
    receipt = response.json()
    delivery = InboxDelivery.objects.get(public_id=receipt["receipt"])
    assert (receipt["state"], receipt["order_number"]) == ("attention", None)
    assert response["Location"] == receipt["status_url"]
    assert (delivery.state, delivery.reason, delivery.source) == (
        DeliveryState.ATTENTION,
        reason,
        DeliverySource.API,
    )
    assert (delivery.order_id, delivery.customer) == (None, customer)
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor_type, event.object_type, event.object_id) == (
        Action.CREATE,
        ActorType.INTEGRATION,
        "intake.inboxdelivery",
        str(delivery.pk),
    )
    assert reason_of(event) == f"api: needs attention: {reason}"
    return delivery


def test_an_order_is_created_for_a_new_web_shop_customer(api, shop):
    response = post(api, order_body())

    assert response.status_code == 201
    data = response.json()
    order = Order.objects.get()
    customer = Customer.objects.get()
    assert data["order_number"] == order.order_number
    assert "customer_number" not in data  # the register's numbers never leave
    assert order.customer == customer
    assert (data["status"], data["total_gross"], data["total_vat"]) == (
        "received",
        "192.30",
        "39.07",
    )
    assert [line["unit_price"] for line in data["lines"]] == ["89.90", "12.50"]
    assert (data["deliveries"], data["returns"]) == ([], [])
    assert response["Preference-Applied"] == "wait=5"
    assert response["Location"] == reverse("api:order_read", args=[order.order_number])
    delivery = InboxDelivery.objects.get()
    assert (delivery.source, delivery.state, delivery.order, delivery.external_id) == (
        DeliverySource.API,
        DeliveryState.DONE,
        order,
        "WEB-1001",
    )
    assert order.integration_id == shop.integration.pk
    assert order.external_id == "WEB-1001"
    assert OrderLine.objects.get(sku="HYL-120").unit_price == Decimal("89.90")
    assert (customer.source, customer.email) == (Source.WEB_SHOP, "aino.virtanen@example.fi")
    events = AuditEvent.objects.filter(actor_type=ActorType.INTEGRATION)
    assert set(events.values_list("action", "object_type")) == {
        (Action.CREATE, "customers.customer"),
        (Action.CREATE, "orders.order"),
    }
    assert set(events.values_list("actor_label", flat=True)) == {"integration:Verkkokauppa"}
    assert "api: created" in reasons(events.filter(object_type="orders.order"))
    shop.integration.refresh_from_db()
    assert shop.integration.last_used_at is not None


def test_the_api_key_works_in_the_x_api_key_header_without_a_session(shop):
    response = post(Client(), order_body(), **{"X-API-Key": shop.api_key})

    assert response.status_code == 201


def test_a_returning_customer_is_matched_by_identity_code(api):
    code = random_identity_code()
    known = make_customer(
        identity_code=code, email="toinen@example.fi", surname="Virtanen", first_names="Aino"
    )
    body = order_body()
    body["customer"]["identity_code"] = code

    response = post(api, body)

    assert response.status_code == 201
    assert "customer_number" not in response.json()
    assert Order.objects.get().customer == known
    assert Customer.objects.count() == 1
    assert code not in response.content.decode()


def test_without_prefer_the_order_is_stored_and_made_by_the_worker(api, shop):
    response = post(api, order_body(), wait=False)

    assert response.status_code == 202
    receipt = response.json()
    delivery = InboxDelivery.objects.get()
    assert receipt == {
        "receipt": str(delivery.public_id),
        "status_url": reverse("api:order_receipt", args=[delivery.public_id]),
        "state": "waiting",
        "order_number": None,
        "reason": "",
        "detail": "",
        "received_at": receipt["received_at"],
    }
    assert response["Location"] == receipt["status_url"]
    assert "Preference-Applied" not in response
    assert (delivery.source, delivery.state, delivery.integration) == (
        DeliverySource.API,
        DeliveryState.WAITING,
        shop.integration,
    )
    assert (Order.objects.count(), Customer.objects.count()) == (0, 0)
    assert api.get(receipt["status_url"]).json()["state"] == "waiting"

    assert inbox_drain() == {"created": 1}

    order = Order.objects.get()
    later = api.get(receipt["status_url"])
    assert later.status_code == 200
    assert (later.json()["state"], later.json()["order_number"]) == ("done", order.order_number)
    assert later.json()["receipt"] == receipt["receipt"]
    made = AuditEvent.objects.filter(
        action=Action.CREATE, object_type="orders.order", actor_type=ActorType.INTEGRATION
    )
    assert "api: created" in reasons(made)
    assert api.get(reverse("api:order_read", args=[order.order_number])).status_code == 200


def test_the_receipt_of_another_integration_is_not_found(api):
    receipt = post(api, order_body(), wait=False).json()
    other = integration_create(actor=ADMIN, kind="generic", name="Toinen kauppa")
    other_api = Client(HTTP_X_API_KEY=other.api_key)
    before = counts()
    last_event = AuditEvent.objects.latest("id").id

    others = other_api.get(receipt["status_url"])
    nobodys = api.get(reverse("api:order_receipt", args=["0b6f7c1e-3a52-4c1f-9d0e-5a7b8c9d0e1f"]))

    assert (others.status_code, others.json()) == (404, {"detail": "No such receipt."})
    assert (nobodys.status_code, nobodys.json()) == (404, {"detail": "No such receipt."})
    assert receipt["receipt"] not in others.content.decode()
    assert counts()[:2] == before[:2]
    denials = AuditEvent.objects.filter(id__gt=last_event).order_by("id")
    assert list(denials.values_list("action", "reason")) == [
        (Action.PERMISSION_DENIED, "api refused 404: not this integration's receipt"),
        (Action.PERMISSION_DENIED, "api refused 404: not this integration's receipt"),
    ]
    assert api.get(receipt["status_url"]).status_code == 200


def test_a_receipt_is_not_read_without_a_key(api):
    receipt = post(api, order_body(), wait=False).json()

    response = Client().get(receipt["status_url"])

    assert response.status_code == 401
    assert receipt["receipt"] not in response.content.decode()


def test_the_same_idempotency_key_twice_stores_one_delivery(api):
    first = post(api, order_body(), wait=False, **{"Idempotency-Key": "key-1"})

    again = post(api, order_body(), **{"Idempotency-Key": "key-1"})

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    delivery = InboxDelivery.objects.get()
    assert (delivery.delivery_key, delivery.state) == ("key-1", DeliveryState.WAITING)
    assert "Preference-Applied" not in again  # a repeat is not processed again
    assert stored() == (0, 0, 1)
    assert inbox_drain() == {"created": 1}
    assert stored() == (1, 1, 1)


def test_the_same_idempotency_key_and_body_return_the_first_order(api):
    first = post(api, order_body(), **{"Idempotency-Key": "key-1"})
    before = stored()

    again = post(api, order_body(), **{"Idempotency-Key": "key-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert stored() == before == (1, 1, 1)


def test_the_order_a_repeated_key_returns_is_audited_as_seen(api):
    post(api, order_body(), **{"Idempotency-Key": "key-1"})

    post(api, order_body(), **{"Idempotency-Key": "key-1"})

    replay = AuditEvent.objects.filter(action=Action.VIEW).get()
    assert (replay.actor_type, replay.customer_id) == (
        ActorType.INTEGRATION,
        Order.objects.get().customer_id,
    )


@pytest.mark.parametrize("wait", [True, False])
def test_the_same_key_with_another_body_is_refused_and_stores_nothing(api, wait):
    post(api, order_body(), wait=wait, **{"Idempotency-Key": "key-1"})
    before = stored()
    events_before = AuditEvent.objects.count()

    response = post(api, order_body("WEB-1002"), **{"Idempotency-Key": "key-1"})

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert stored() == before
    assert AuditEvent.objects.count() == events_before + 1
    refusal = AuditEvent.objects.latest("id")
    assert (refusal.action, refusal.actor_type, refusal.reason) == (
        Action.PERMISSION_DENIED,
        ActorType.INTEGRATION,
        "api refused 422: Idempotency-Key",
    )
    assert not InboxDelivery.objects.filter(external_id="WEB-1002").exists()


def test_a_new_order_and_its_key_are_stored_together(api):
    response = post(api, order_body(), **{"Idempotency-Key": "key-1"})

    delivery = InboxDelivery.objects.get()
    assert delivery.order is not None
    assert (delivery.delivery_key, delivery.order.order_number) == (
        "key-1",
        response.json()["order_number"],
    )


def test_the_same_body_spaced_otherwise_is_the_same_request(api):
    """The key's body is compared as JSON, not as bytes."""
    first = post(api, order_body(), **{"Idempotency-Key": "key-1"})

    again = post(api, json.dumps(order_body(), indent=2), **{"Idempotency-Key": "key-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert stored() == (1, 1, 1)


def test_the_same_key_from_another_integration_is_its_own_delivery(api):
    other = integration_create(actor=ADMIN, kind="generic", name="Toinen kauppa")
    post(api, order_body(), **{"Idempotency-Key": "key-1"})

    response = post(
        Client(HTTP_X_API_KEY=other.api_key),
        order_body("WEB-2002"),
        **{"Idempotency-Key": "key-1"},
    )

    assert response.status_code == 201
    assert sorted(InboxDelivery.objects.values_list("integration__name", "delivery_key")) == [
        ("Toinen kauppa", "key-1"),
        ("Verkkokauppa", "key-1"),
    ]


def test_the_same_external_id_returns_the_first_order(api):
    first = post(api, order_body())

    again = post(api, order_body())

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["order_number"] == first.json()["order_number"]
    assert Order.objects.count() == 1
    order = Order.objects.get()
    assert list(InboxDelivery.objects.values_list("state", "order")) == [
        (DeliveryState.DONE, order.pk),
        (DeliveryState.DONE, order.pk),
    ]
    replay = AuditEvent.objects.filter(action=Action.VIEW).get()
    assert (replay.actor_type, replay.customer_id, personal_text_decrypt(replay)) == (
        ActorType.INTEGRATION,
        order.customer_id,
        "api: unchanged",
    )


def test_the_same_external_id_made_by_the_worker_is_answered_200(api):
    post(api, order_body(), wait=False)
    inbox_drain()

    again = post(api, order_body())

    assert again.status_code == 200
    assert again.json()["order_number"] == Order.objects.get().order_number


def test_a_newer_update_moves_the_status(api):
    first = post(api, order_body())

    update = post(api, order_body(status="shipped", modified_at="2026-11-21T09:00:00+02:00"))

    assert update.status_code == 200
    assert update.json()["order_number"] == first.json()["order_number"]
    assert update.json()["status"] == "shipped"
    assert Order.objects.get().status == OrderStatus.SHIPPED
    moved = AuditEvent.objects.filter(action=Action.UPDATE, object_type="orders.order")
    assert "api: updated" in reasons(moved)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "api key missing"),
        ({"HTTP_AUTHORIZATION": "Bearer rk_wrong-key-of-some-length"}, "api key not recognised"),
        ({"HTTP_X_API_KEY": "not-a-key"}, "api key not recognised"),
    ],
)
def test_a_missing_or_wrong_key_gets_401_and_stores_nothing(shop, headers, reason):
    response = post(Client(**headers), order_body())

    assert response.status_code == 401
    assert stored() == (0, 0, 0)
    event = AuditEvent.objects.exclude(object_type="intake.integration").get()
    assert (event.action, event.actor_type, event.reason) == (
        Action.LOGIN_FAILURE,
        ActorType.ANONYMOUS,
        reason,
    )


def test_a_revoked_key_gets_401(api, shop):
    integration_revoke(actor=ADMIN, integration=shop.integration)

    response = post(api, order_body())

    assert response.status_code == 401
    assert stored() == (0, 0, 0)


def _without_lines_quantity(quantity):
    body = order_body()
    body["lines"][0]["quantity"] = quantity
    return body


def _without_email():
    body = order_body()
    body["customer"]["email"] = ""
    return body


@pytest.mark.parametrize(
    ("body", "wait"),
    [("{not json", True), ('{"external_id": NaN}', True), ("{not json", False)],
)
def test_a_body_that_is_not_json_is_refused_and_stores_nothing_but_the_refusal(api, body, wait):
    orders, customers, events = counts()

    response = post(api, body, wait=wait)

    assert response.status_code == 400
    assert response.json() == {"detail": "The body is not valid JSON."}
    assert counts() == (orders, customers, events + 1)
    assert not InboxDelivery.objects.exists()
    refusal = AuditEvent.objects.latest("id")
    assert (refusal.action, refusal.actor_type) == (Action.PERMISSION_DENIED, "integration")
    assert refusal.reason == "api refused 400: The body is not valid JSON."


@pytest.mark.parametrize(
    ("body", "reason", "field"),
    [
        ("[]", Reason.NOT_AN_ORDER, None),
        (_without_lines_quantity(0), Reason.INVALID, "lines.0.quantity"),
        (_without_lines_quantity(-2), Reason.INVALID, "lines.0.quantity"),
        (order_body(status="lost"), Reason.INVALID, "status"),
        (order_body(payment_method="bitcoin"), Reason.INVALID, "payment_method"),
        (order_body(lines=[]), Reason.INVALID, "lines"),
        (order_body(placed_at="2026-11-20T10:00:00"), Reason.INVALID, "placed_at"),
        (_without_email(), Reason.INVALID, "customer"),
    ],
)
def test_an_order_that_cannot_be_taken_waits_for_a_person_and_changes_nothing(
    api, body, reason, field
):
    orders, customers, events = counts()

    response = post(api, body)

    delivery = assert_waits_for_a_person(response, reason)
    receipt = response.json()
    assert receipt["reason"] and receipt["detail"] == delivery.detail
    if field is not None:
        assert delivery.detail.startswith(f"{field}:") or f"; {field}:" in delivery.detail
    assert counts() == (orders, customers, events + 1)
    assert api.get(receipt["status_url"]).json() == receipt


def test_an_order_that_cannot_be_taken_waits_when_the_worker_comes_to_it(api):
    response = post(api, order_body(status="lost"), wait=False)

    assert (response.status_code, response.json()["state"]) == (202, "waiting")
    assert inbox_drain() == {"attention": 1}

    receipt = api.get(response.json()["status_url"]).json()
    assert (receipt["state"], receipt["order_number"]) == ("attention", None)
    assert receipt["detail"].startswith("status:")
    assert (Order.objects.count(), Customer.objects.count()) == (0, 0)
    event = AuditEvent.objects.latest("id")
    assert (event.object_type, event.reason) == (
        "intake.inboxdelivery",
        "api: needs attention: invalid",
    )


def test_a_wrong_identity_code_waits_for_a_person_without_echoing_it(api):
    code = random_identity_code()
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    body = order_body()
    body["customer"]["identity_code"] = wrong

    response = post(api, body)

    delivery = assert_waits_for_a_person(response, Reason.IDENTITY_CODE)
    assert response.json()["detail"].startswith("identity_code:")
    assert wrong not in response.content.decode()
    assert wrong not in delivery.detail
    assert wrong not in reason_of(AuditEvent.objects.latest("id"))
    assert (Order.objects.count(), Customer.objects.count()) == (0, 0)


def test_an_overlong_identity_code_waits_for_a_person_without_echoing_it(api):
    body = order_body()
    body["customer"]["identity_code"] = "131052-308T" * 3

    response = post(api, body)

    delivery = assert_waits_for_a_person(response, Reason.INVALID)
    assert "customer.identity_code" in delivery.detail
    assert "131052-308T" not in response.content.decode()
    assert "131052-308T" not in delivery.detail
    assert (Order.objects.count(), Customer.objects.count()) == (0, 0)


def test_a_body_over_one_mebibyte_is_refused_before_it_is_read(api):
    body = order_body(notes="x" * (1024 * 1024))

    response = post(api, body)

    assert response.status_code == 413
    assert stored() == (0, 0, 0)
    assert (
        AuditEvent.objects.latest("id").reason == "api refused 413: The body is larger than 1 MiB."
    )


def test_an_integration_reads_its_own_order_with_deliveries(api):
    created = post(api, order_body()).json()
    order = Order.objects.get()
    delivery_create(actor=ADMIN, order=order, carrier="posti", tracking_code="JJFI123")

    response = api.get(reverse("api:order_read", kwargs={"order_number": created["order_number"]}))

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "received"
    assert [(d["carrier"], d["tracking_code"]) for d in data["deliveries"]] == [
        ("posti", "JJFI123")
    ]
    read = AuditEvent.objects.filter(action=Action.VIEW).get()
    assert (read.customer_id, read.actor_type) == (order.customer_id, ActorType.INTEGRATION)


def test_another_integrations_order_is_not_found(api):
    created = post(api, order_body()).json()
    other = integration_create(actor=ADMIN, kind="generic", name="Toinen kauppa")

    response = Client(HTTP_X_API_KEY=other.api_key).get(
        reverse("api:order_read", kwargs={"order_number": created["order_number"]})
    )

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


def test_reading_without_a_key_gets_401_not_a_sign_in_redirect(shop):
    response = Client().get(reverse("api:order_read", kwargs={"order_number": 100001}))

    assert response.status_code == 401


def test_the_openapi_schema_describes_the_order_body(customer_service_client):
    schema = customer_service_client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/orders"]["post"]
    assert {"200", "201", "202"} <= set(operation["responses"])
    assert "Prefer" in [parameter["name"] for parameter in operation["parameters"]]
    receipt = schema["components"]["schemas"]["ReceiptOut"]["properties"]
    assert set(receipt) == {
        "receipt",
        "status_url",
        "state",
        "order_number",
        "reason",
        "detail",
        "received_at",
    }
    body = operation["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OrderIn"}
    assert "identity_code" in schema["components"]["schemas"]["CustomerIn"]["properties"]
    assert "identity_code" not in schema["components"]["schemas"]["OrderOut"]["properties"]


def test_integrations_are_only_stored_hashed(shop):
    stored = Integration.objects.get()
    assert shop.api_key not in (stored.api_key_digest, stored.api_key_prefix)


def test_an_integration_over_its_rate_gets_429_and_nothing_is_stored(api, settings):
    settings.API_RATE_PER_MINUTE = 2
    assert post(api, order_body("WEB-1")).status_code == 201
    assert post(api, order_body("WEB-2")).status_code == 201
    before = counts()

    response = post(api, order_body("WEB-3"))

    assert response.status_code == 429
    assert response.json() == {
        "detail": "Too many requests for this API key. Try again in a minute."
    }
    assert 1 <= int(response["Retry-After"]) <= 60
    assert counts() == before
    assert InboxDelivery.objects.count() == 2
