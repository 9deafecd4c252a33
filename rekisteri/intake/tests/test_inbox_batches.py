"""The worker's batch path makes exactly what processing one delivery at a time makes:
the same customers, orders, lines and audit events, and the deliveries it cannot make
(a doubtful buyer, another currency, an update) go the one-by-one way."""

import json
from typing import Any

import pytest
from django.db import transaction

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer
from rekisteri.intake import inbox
from rekisteri.intake.inbox import delivery_process, inbox_process
from rekisteri.intake.models import DeliveryState, InboxDelivery, Integration
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Order
from rekisteri.testing.factories import make_customer
from rekisteri.testing.shops import ADMIN

pytestmark = pytest.mark.django_db


def order(external_id: str, email: str, surname: str = "Laine", **changes: Any) -> bytes:
    body = {
        "external_id": external_id,
        "customer": {
            "surname": surname,
            "first_names": "Aino",
            "email": email,
            "phone": "040 123 4567",
            "street_address": "Uunilinnuntie 1",
            "postal_code": "90404",
            "post_office": "Oulu",
        },
        "lines": [
            {"sku": "HYL-120", "name": "Hylly", "unit_price": "89.90", "quantity": 2},
            {
                "sku": "KIR-1",
                "name": "Kirja",
                "unit_price": "30.00",
                "vat_rate": "10",
                "quantity": 1,
            },
        ],
        "payment_method": "prepaid",
        "placed_at": "2026-11-02T10:15:04Z",
        "notes": "Soita ennen",
        **changes,
    }
    return json.dumps(body).encode()


BODIES = [
    order("A-1", "uusi@example.fi"),
    order("A-2", "uusi@example.fi"),  # the same new buyer again, in the same batch
    order("A-3", "tuttu@example.fi", surname="Tuttu"),  # a customer of the register
    order("A-4", "tuttu@example.fi", surname="Muukalainen"),  # a doubtful match
    order("A-5", "kruunu@example.fi", currency="SEK"),  # waits for euros
    order("A-1", "uusi@example.fi", notes="Toinen kerta"),  # the first order again
    order("A-6", "toinen@example.fi", payment_method="cash_on_delivery"),
]


def stored(name: str) -> Integration:
    integration = integration_create(actor=ADMIN, kind="generic", name=name).integration
    for body in BODIES:
        inbox.delivery_store(integration=integration, source="api", body=body, topic="order")
    return integration


def made(integration: Integration) -> dict[str, Any]:
    """What the deliveries of `integration` became, in terms that do not depend on ids."""
    deliveries = list(InboxDelivery.objects.filter(integration=integration).order_by("id"))
    orders = Order.objects.filter(integration=integration).order_by("external_id")
    events = []
    for event in AuditEvent.objects.order_by("id"):
        if event.object_type == "intake.inboxdelivery":
            if not any(str(d.pk) == event.object_id for d in deliveries):
                continue
        elif event.object_type == "orders.order":
            if not orders.filter(pk=event.object_id).exists():
                continue
        elif event.object_type == "customers.customer":
            if not orders.filter(customer_id=event.object_id).exists():
                continue
        else:
            continue
        subject = (
            Order.objects.get(pk=event.object_id).external_id
            if event.object_type == "orders.order"
            else event.object_type
        )
        events.append(
            (
                event.action,
                subject,
                tuple(event.changed_fields),
                event.reason or personal_text_decrypt(event),
                event.actor_label.split(":")[0],
            )
        )
    return {
        "deliveries": [
            (d.state, d.outcome, d.reason, d.order.external_id if d.order else None)
            for d in deliveries
        ],
        "orders": [
            (
                o.external_id,
                o.status,
                o.payment_method,
                o.total_gross,
                o.total_vat,
                o.notes,
                o.placed_at,
                o.created_by_label.split(":")[0],
                o.delivery_name,
                o.delivery_street_address,
                [
                    (li.sku, li.name, li.unit_price, li.vat_rate, li.quantity, li.line_total)
                    for li in o.lines.all()
                ],
                (
                    o.customer.email,
                    o.customer.surname,
                    o.customer.phone,
                    o.customer.source,
                    o.customer.street_address,
                ),
            )
            for o in orders
        ],
        "customers": Customer.objects.filter(email__in=["uusi@example.fi", "toinen@example.fi"])
        .values_list("email")
        .count(),
        "events": sorted(events, key=repr),
    }


def test_a_batch_makes_what_one_by_one_makes():
    make_customer(email="tuttu@example.fi", surname="Tuttu", first_names="Aino")
    batched = stored("Erissä")

    counts = inbox_process()

    assert counts["created"] == 4  # A-1 again is unchanged
    first = made(batched)
    # The same buyers are new again for the second shop.
    Customer.objects.filter(email__in=["uusi@example.fi", "toinen@example.fi"]).update(
        email="pois@example.fi"
    )
    one_by_one = stored("Yksitellen")
    with transaction.atomic():
        for delivery in InboxDelivery.objects.filter(integration=one_by_one).order_by("id"):
            delivery_process(delivery)

    second = made(one_by_one)
    assert (
        first["deliveries"]
        == second["deliveries"]
        == [
            ("done", "created", "", "A-1"),
            ("done", "created", "", "A-2"),
            ("done", "created", "", "A-3"),
            ("attention", "", "buyer_mismatch", None),
            ("attention", "", "currency", None),
            ("done", "unchanged", "", "A-1"),
            ("done", "created", "", "A-6"),
        ]
    )
    assert first["orders"] == second["orders"]
    assert first["customers"] == second["customers"] == 2
    assert first["events"] == second["events"]


def test_a_batch_the_database_refuses_is_made_one_by_one(monkeypatch):
    integration = stored("Kauppa")

    def refused(*args: Any, **kwargs: Any) -> None:
        from django.db import DatabaseError

        raise DatabaseError("refused")

    monkeypatch.setattr(inbox, "shop_orders_store", refused)
    counts = inbox_process()

    assert counts["created"] == 4
    states = InboxDelivery.objects.filter(integration=integration).values_list("state", "attempts")
    assert sorted(states) == sorted(
        [(DeliveryState.DONE, 1)] * 5 + [(DeliveryState.ATTENTION, 1)] * 2
    )
    assert Order.objects.filter(integration=integration).count() == 4
