"""Orders through the API: key auth, idempotency, refusals that store nothing (P10)."""

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
from rekisteri.intake.models import IdempotencyKey, Integration
from rekisteri.intake.services import integration_create, integration_revoke
from rekisteri.orders.models import Order, OrderLine, OrderStatus
from rekisteri.orders.services import delivery_create
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db
fake = Faker("fi_FI")
ADMIN = Actor.system("test")
URL = "/api/v1/orders"


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


def post(client, body, **headers):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, raw, content_type="application/json", headers=headers)


def counts():
    return (Order.objects.count(), Customer.objects.count(), AuditEvent.objects.count())


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


def test_the_same_idempotency_key_and_body_return_the_first_order(api):
    first = post(api, order_body(), **{"Idempotency-Key": "key-1"})
    before = (Order.objects.count(), Customer.objects.count())

    again = post(api, order_body(), **{"Idempotency-Key": "key-1"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert (Order.objects.count(), Customer.objects.count()) == before == (1, 1)
    replay = AuditEvent.objects.filter(action=Action.VIEW).get()
    assert (replay.actor_type, personal_text_decrypt(replay)) == (
        ActorType.INTEGRATION,
        "api: unchanged",
    )


def test_the_same_key_with_another_body_is_refused_and_stores_nothing(api):
    post(api, order_body(), **{"Idempotency-Key": "key-1"})
    before = (Order.objects.count(), Customer.objects.count(), IdempotencyKey.objects.count())

    response = post(api, order_body("WEB-1002"), **{"Idempotency-Key": "key-1"})

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert (Order.objects.count(), Customer.objects.count(), IdempotencyKey.objects.count()) == (
        before
    )
    refusal = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).get()
    assert refusal.actor_type == ActorType.INTEGRATION


def test_a_new_order_and_its_key_are_stored_together(api):
    response = post(api, order_body(), **{"Idempotency-Key": "key-1"})

    stored = IdempotencyKey.objects.get()
    assert (stored.key, stored.order.order_number) == ("key-1", response.json()["order_number"])


def test_a_key_another_request_stored_first_takes_the_new_order_with_it(api, monkeypatch):
    """Two requests with one key and different orders, the second looking before the
    first stored its key: the second's order is rolled back with its key, and it is
    refused, so no order is left without its key."""
    from rekisteri.intake import services

    post(api, order_body(), **{"Idempotency-Key": "key-1"})
    before = (Order.objects.count(), Customer.objects.count(), IdempotencyKey.objects.count())
    looked_up = services._idempotency_key_get
    calls = []

    def not_yet_there(**arguments):
        calls.append(arguments)
        return None if len(calls) == 1 else looked_up(**arguments)

    monkeypatch.setattr(services, "_idempotency_key_get", not_yet_there)

    response = post(
        api,
        order_body("WEB-1002", customer={**order_body()["customer"], "email": "b@example.fi"}),
        **{"Idempotency-Key": "key-1"},
    )

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert (Order.objects.count(), Customer.objects.count(), IdempotencyKey.objects.count()) == (
        before
    )
    assert not Order.objects.filter(external_id="WEB-1002").exists()


def test_the_same_external_id_returns_the_first_order(api):
    first = post(api, order_body())

    again = post(api, order_body())

    assert again.status_code == 200
    assert again.json()["order_number"] == first.json()["order_number"]
    assert Order.objects.count() == 1


def test_a_newer_update_moves_the_status(api):
    first = post(api, order_body())

    update = post(api, order_body(status="shipped", modified_at="2026-11-21T09:00:00+02:00"))

    assert update.status_code == 200
    assert update.json()["order_number"] == first.json()["order_number"]
    assert Order.objects.get().status == OrderStatus.SHIPPED


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
    assert (Order.objects.count(), Customer.objects.count()) == (0, 0)
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
    assert Order.objects.count() == 0


def _without_lines_quantity(quantity):
    body = order_body()
    body["lines"][0]["quantity"] = quantity
    return body


def _without_email():
    body = order_body()
    body["customer"]["email"] = ""
    return body


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{not json", 400, None),
        ('{"external_id": NaN}', 400, None),
        ("[]", 422, "body"),
        (_without_lines_quantity(0), 422, "lines.0.quantity"),
        (_without_lines_quantity(-2), 422, "lines.0.quantity"),
        (order_body(status="lost"), 422, "status"),
        (order_body(payment_method="bitcoin"), 422, "payment_method"),
        (order_body(lines=[]), 422, "lines"),
        (order_body(placed_at="2026-11-20T10:00:00"), 422, "placed_at"),
        (_without_email(), 422, "customer"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing_but_the_refusal(api, body, status, field):
    orders, customers, events = counts()

    response = post(api, body)

    assert response.status_code == status
    if field is not None:
        assert field in response.json()["errors"]
    assert counts() == (orders, customers, events + 1)
    refusal = AuditEvent.objects.latest("id")
    assert (refusal.action, refusal.actor_type) == (Action.PERMISSION_DENIED, "integration")
    assert refusal.reason.startswith(f"api refused {status}")


def test_a_wrong_identity_code_is_refused_without_echoing_it(api):
    code = random_identity_code()
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    body = order_body()
    body["customer"]["identity_code"] = wrong

    response = post(api, body)

    assert response.status_code == 422
    assert "identity_code" in response.json()["errors"]
    assert wrong not in response.content.decode()
    assert wrong not in AuditEvent.objects.latest("id").reason
    assert (Order.objects.count(), Customer.objects.count()) == (0, 0)


def test_an_overlong_identity_code_is_refused_without_echoing_it(api):
    body = order_body()
    body["customer"]["identity_code"] = "131052-308T" * 3

    response = post(api, body)

    assert response.status_code == 422
    assert "131052-308T" not in response.content.decode()


def test_a_body_over_one_mebibyte_is_refused_before_it_is_read(api):
    body = order_body(notes="x" * (1024 * 1024))

    response = post(api, body)

    assert response.status_code == 413
    assert counts()[:2] == (0, 0)
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

    body = schema["paths"]["/api/v1/orders"]["post"]["requestBody"]
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
