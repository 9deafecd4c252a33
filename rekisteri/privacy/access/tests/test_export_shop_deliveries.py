"""The customer's own copy gives the orders made of the web shops' deliveries, never a
delivery as it came: one that waits for a person may be tied to the customer only by
a doubtful match, and name someone else (docs/data-map.md, known gaps)."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.utils import timezone

from rekisteri.audit.services import Actor
from rekisteri.intake.inbox import delivery_store
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.privacy.access.copy import access_archive, subject_data
from rekisteri.testing.everything import person
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def test_the_copy_has_the_order_but_nothing_of_a_delivery_that_waited_for_a_person():
    Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))
    shop = integration_create(actor=SYSTEM, kind="woocommerce", name="Verkkokauppa").integration
    customer = make_customer()
    order = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="web_shop",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
        external_id="WEB-7001",
    )
    # The customer's email, another person's name: it waits for a person.
    someone_else = person()
    body = {"billing": {"last_name": someone_else["surname"], "email": customer.email}}
    for state, extra in (
        (DeliveryState.DONE, {"order": order}),
        (DeliveryState.ATTENTION, {"customer": customer, "detail": "buyer_mismatch: surname"}),
    ):
        stored = delivery_store(
            integration=shop, source="webhook", body=json.dumps(body).encode()
        ).delivery
        InboxDelivery.objects.filter(pk=stored.pk).update(
            state=state, processed_at=timezone.now(), **extra
        )

    data = subject_data(customer, include_identity_code=False)
    archive = access_archive(customer=customer, language="fi", include_identity_code=False)

    assert [row["order_number"] for row in data["orders"]] == [order.order_number]
    text = json.dumps(data, ensure_ascii=False)
    assert someone_else["surname"] not in text
    assert "buyer_mismatch" not in text
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        page = opened.read("index.html").decode()
    assert someone_else["surname"] not in page
