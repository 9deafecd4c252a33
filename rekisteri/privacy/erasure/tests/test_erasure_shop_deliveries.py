"""Erasing a customer purges the shops' deliveries that name them at once: those that
became their orders and those a doubtful match led to them. The rows stay, with the
key and digest that keep the shop's redelivery from changing anything."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.customers.models import Customer
from rekisteri.intake.inbox import delivery_body, delivery_store
from rekisteri.intake.models import DeliveryState, IdempotencyKey, InboxDelivery, Integration
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Order, Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.privacy.erasure import services as erasure
from rekisteri.testing.database import found_in_database
from rekisteri.testing.everything import person
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
REASON = "Asiakkaan poistopyyntö sähköpostitse"
PLAN_ITEM = "Orders as the web shops sent them"


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"


@pytest.fixture
def shop(db) -> Integration:
    Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))
    return integration_create(actor=SYSTEM, kind="woocommerce", name="Verkkokauppa").integration


def body_of(who: dict[str, str]) -> bytes:
    return json.dumps(
        {
            "id": 7001,
            "billing": {
                "first_name": who["first_names"],
                "last_name": who["surname"],
                "email": who["email"],
                "phone": who["phone"],
            },
        }
    ).encode()


def delivered(shop: Integration, who: dict[str, str], key: str, **state: object) -> InboxDelivery:
    stored = delivery_store(
        integration=shop, source="webhook", body=body_of(who), delivery_key=key
    ).delivery
    InboxDelivery.objects.filter(pk=stored.pk).update(processed_at=timezone.now(), **state)
    stored.refresh_from_db()
    return stored


def customer_of(who: dict[str, str]) -> Customer:
    return make_customer(surname=who["surname"], first_names=who["first_names"], email=who["email"])


def order_of(customer: Customer) -> Order:
    return order_create(
        actor=SYSTEM,
        customer=customer,
        channel="web_shop",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )


def test_erasure_purges_the_deliveries_of_the_customers_orders_and_of_a_doubtful_match(shop):
    who = person()
    customer = customer_of(who)
    order = order_of(customer)
    became_order = delivered(shop, who, "wh-1", state=DeliveryState.DONE, order=order)
    # Waits for a person: the buyer's email is the customer's, the name another's.
    doubtful = delivered(
        shop,
        who,
        "wh-2",
        state=DeliveryState.ATTENTION,
        customer=customer,
        detail=f"buyer_mismatch: {who['surname']}",
        resolution=f"Soitettu asiakkaalle {who['surname']}",
    )
    IdempotencyKey.objects.create(
        integration=shop,
        key="avain-1",
        body_digest="0" * 64,
        order=order,
        created_at=timezone.now(),
    )
    other = person()
    of_someone_else = delivered(
        shop, other, "wh-3", state=DeliveryState.DONE, order=order_of(customer_of(other))
    )
    # Encrypted, the body is found by its ciphertext only: look for that too.
    terms = {
        **who,
        "order_body": became_order.body_encrypted,
        "doubtful_body": doubtful.body_encrypted,
    }
    assert {"order_body", "doubtful_body", "surname"} <= {
        what for what, _table, _column in found_in_database(terms)
    }
    plan = erasure.erasure_plan(customer)
    assert (PLAN_ITEM, 2) in [(item.category, item.count) for item in plan.erased]
    kept_before = list(
        InboxDelivery.objects.order_by("pk").values_list(
            "pk", "delivery_key", "body_digest", "state", "order", "customer", "received_at"
        )
    )
    other_before = InboxDelivery.objects.filter(pk=of_someone_else.pk).values().get()

    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)

    assert found_in_database(terms) == set()
    for item in (became_order, doubtful):
        item.refresh_from_db()
        assert (item.body_encrypted, item.detail, item.resolution) == ("", "", "")
        assert delivery_body(item) == b""
        assert item.purged_at is not None
    # The rows stay as they were otherwise; someone else's delivery is untouched.
    assert (
        list(
            InboxDelivery.objects.order_by("pk").values_list(
                "pk", "delivery_key", "body_digest", "state", "order", "customer", "received_at"
            )
        )
        == kept_before
    )
    assert InboxDelivery.objects.filter(pk=of_someone_else.pk).values().get() == other_before
    assert delivery_body(of_someone_else) == body_of(other)
    assert not IdempotencyKey.objects.exists()
    event = AuditEvent.objects.get(action=Action.ERASE, customer=customer)
    assert "shop_deliveries" in event.changed_fields
    assert PLAN_ITEM not in [item.category for item in erasure.erasure_plan(customer).erased]


def test_the_shop_sending_a_purged_delivery_again_changes_nothing(shop):
    who = person()
    customer = customer_of(who)
    delivered(shop, who, "wh-1", state=DeliveryState.DONE, order=order_of(customer))
    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)
    before = list(InboxDelivery.objects.values())

    again = delivery_store(
        integration=shop, source="webhook", body=body_of(who), delivery_key="wh-1"
    )

    assert again.repeated
    assert list(InboxDelivery.objects.values()) == before
    assert found_in_database(who) == set()


def test_a_delivery_purged_by_retention_keeps_its_time_of_purge(shop):
    who = person()
    customer = customer_of(who)
    order = order_of(customer)
    earlier = timezone.now() - datetime.timedelta(days=40)
    item = delivered(
        shop,
        who,
        "wh-1",
        state=DeliveryState.DONE,
        order=order,
        body_encrypted="",
        detail="",
        purged_at=earlier,
    )

    assert PLAN_ITEM not in [i.category for i in erasure.erasure_plan(customer).erased]
    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)

    item.refresh_from_db()
    assert (item.body_encrypted, item.purged_at) == ("", earlier)


def test_a_restored_backup_brings_no_delivery_body_back(shop):
    """The erasure log's replay after a restore purges the deliveries again."""
    who = person()
    customer = customer_of(who)
    item = delivered(shop, who, "wh-1", state=DeliveryState.DONE, order=order_of(customer))
    restored = Customer.objects.filter(pk=customer.pk).values().get()
    body = item.body_encrypted
    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)
    # What a restore of last night's backup would bring back.
    Customer.objects.filter(pk=customer.pk).update(**restored)
    InboxDelivery.objects.filter(pk=item.pk).update(body_encrypted=body, purged_at=None)

    assert erasure.erasure_log_replay(actor=SYSTEM) == 1

    item.refresh_from_db()
    assert (item.body_encrypted, delivery_body(item)) == ("", b"")
    assert item.purged_at is not None
    assert found_in_database({**who, "body": body}) == set()
