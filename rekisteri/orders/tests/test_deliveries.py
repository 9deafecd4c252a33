"""Deliveries of an order: carrier, tracking code, shipped and delivered times, and the
14-day cancellation deadline of distance selling once the goods have arrived (P9)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.orders.models import Delivery
from rekisteri.orders.services import delivery_create, order_status_change

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def test_a_delivery_is_added_and_audited(customer_service_client, place_order):
    order = place_order()

    response = customer_service_client.post(
        reverse("orders:delivery_add", args=[order.order_number]),
        {"carrier": "posti", "tracking_code": " JJFI 6437 "},
    )

    delivery = Delivery.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orders:detail", args=[order.order_number])
    assert (delivery.order_id, delivery.carrier, delivery.tracking_code) == (
        order.pk,
        "posti",
        "JJFI 6437",
    )
    assert (delivery.status, delivery.shipped_at, delivery.delivered_at) == (
        "preparing",
        None,
        None,
    )
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="orders.delivery")
    assert (event.object_id, event.customer_id) == (str(delivery.pk), order.customer_id)
    assert event.changed_fields == ["carrier", "tracking_code"]


def test_an_unknown_carrier_is_refused_and_nothing_stored(customer_service_client, place_order):
    order = place_order()

    response = customer_service_client.post(
        reverse("orders:delivery_add", args=[order.order_number]), {"carrier": "dhl"}
    )

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert Delivery.objects.count() == 0


def test_a_cancelled_order_gets_no_delivery(customer_service_client, place_order):
    order = place_order()
    order_status_change(actor=ACTOR, order=order, status="cancelled")

    response = customer_service_client.post(
        reverse("orders:delivery_add", args=[order.order_number]), {"carrier": "posti"}
    )

    assert response.status_code == 400
    assert "A cancelled order is not delivered." in response.content.decode()
    assert Delivery.objects.count() == 0


def test_a_delivery_moves_from_preparing_to_shipped_to_delivered(
    customer_service_client, place_order
):
    order = place_order()
    delivery = delivery_create(actor=ACTOR, order=order, carrier="matkahuolto")
    url = reverse("orders:delivery_status", args=[order.order_number, delivery.pk])
    before = timezone.now()

    shipped = customer_service_client.post(url, {"status": "shipped"})
    delivery.refresh_from_db()
    shipped_at = delivery.shipped_at
    delivered = customer_service_client.post(url, {"status": "delivered"})
    delivery.refresh_from_db()

    assert (shipped.status_code, delivered.status_code) == (302, 302)
    assert delivery.status == "delivered"
    assert shipped_at is not None and shipped_at >= before
    assert delivery.shipped_at == shipped_at
    assert delivery.delivered_at is not None and delivery.delivered_at >= shipped_at
    events = AuditEvent.objects.filter(action=Action.UPDATE, object_type="orders.delivery")
    assert [personal_text_decrypt(e) for e in events.order_by("id")] == [
        "delivery shipped",
        "delivery delivered",
    ]
    assert {e.customer_id for e in events} == {order.customer_id}


def test_a_delivery_never_moves_back(customer_service_client, place_order):
    order = place_order()
    delivery = delivery_create(actor=ACTOR, order=order, carrier="posti")
    url = reverse("orders:delivery_status", args=[order.order_number, delivery.pk])
    customer_service_client.post(url, {"status": "delivered"})

    response = customer_service_client.post(url, {"status": "shipped"})

    delivery.refresh_from_db()
    assert response.status_code == 400
    assert "A delivery moves from preparing to shipped to delivered." in response.content.decode()
    assert delivery.status == "delivered"
    assert AuditEvent.objects.filter(action=Action.UPDATE).count() == 1


def test_a_delivery_of_another_order_is_not_found(customer_service_client, place_order):
    order, other = place_order(), place_order()
    delivery = delivery_create(actor=ACTOR, order=other, carrier="posti")

    response = customer_service_client.post(
        reverse("orders:delivery_status", args=[order.order_number, delivery.pk]),
        {"status": "shipped"},
    )

    delivery.refresh_from_db()
    assert response.status_code == 404
    assert delivery.status == "preparing"


def test_the_page_shows_deliveries_and_the_withdrawal_deadline(
    customer_service_client, place_order
):
    order = place_order()
    delivery = delivery_create(
        actor=ACTOR, order=order, carrier="db_schenker", tracking_code="DBS1"
    )
    delivered_at = datetime.datetime(2026, 3, 2, 22, 30, tzinfo=datetime.UTC)  # 3.3. in Helsinki
    Delivery.objects.filter(pk=delivery.pk).update(
        status="delivered", shipped_at=delivered_at, delivered_at=delivered_at
    )

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    body = response.content.decode()
    assert response.context["withdrawal_deadline"] == datetime.date(2026, 3, 17)
    assert "may cancel the purchase until 17.3.2026" in body
    assert "DB Schenker" in body
    assert "DBS1" in body
    assert "3.3.2026 00:30" in body


def test_no_withdrawal_deadline_before_anything_is_delivered(customer_service_client, place_order):
    order = place_order()
    delivery_create(actor=ACTOR, order=order, carrier="posti")

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    assert response.context["withdrawal_deadline"] is None
    assert "may cancel the purchase" not in response.content.decode()
