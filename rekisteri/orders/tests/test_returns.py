"""Returns: which lines and how many come back, why, and the refund (P9)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.orders.models import Return, ReturnLine
from rekisteri.orders.services import return_create, return_status_change

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def line_ids(order):
    return [line.pk for line in order.lines.all()]


def test_a_return_of_some_lines_is_recorded_and_audited(customer_service_client, place_order):
    order = place_order()
    shelf, book = line_ids(order)

    response = customer_service_client.post(
        reverse("orders:return_add", args=[order.order_number]),
        {f"line_{shelf}": "1", f"line_{book}": "0", "reason": "Hylly oli vaurioitunut"},
    )

    return_request = Return.objects.get()
    assert response.status_code == 302
    assert (return_request.order_id, return_request.status, return_request.reason) == (
        order.pk,
        "requested",
        "Hylly oli vaurioitunut",
    )
    assert list(ReturnLine.objects.values_list("order_line_id", "quantity")) == [(shelf, 1)]
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="orders.return")
    assert (event.object_id, event.customer_id) == (str(return_request.pk), order.customer_id)
    assert event.changed_fields == ["lines", "reason"]


def test_more_than_was_sold_cannot_come_back(customer_service_client, place_order):
    order = place_order()
    shelf, _book = line_ids(order)

    response = customer_service_client.post(
        reverse("orders:return_add", args=[order.order_number]),
        {f"line_{shelf}": "3", "reason": "Liikaa"},
    )

    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 2." in response.content.decode()
    assert Return.objects.count() == 0


def test_earlier_returns_count_against_what_can_still_come_back(
    customer_service_client, place_order
):
    order = place_order()
    shelf, _book = line_ids(order)
    return_create(actor=ACTOR, order=order, quantities={shelf: 2}, reason="Ensimmäinen palautus")

    response = customer_service_client.post(
        reverse("orders:return_add", args=[order.order_number]),
        {f"line_{shelf}": "1", "reason": "Toinen palautus"},
    )

    assert response.status_code == 400
    assert "At most 0 of Hylly 120 cm can still come back." in response.content.decode()
    assert Return.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="orders.return", actor_type="staff").count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "Ei mitään"}, "Choose at least one line and how many come back."),
        ({"line": "1", "reason": ""}, "This field is required."),
    ],
)
def test_a_return_needs_lines_and_a_reason(customer_service_client, place_order, data, message):
    order = place_order()
    shelf, _book = line_ids(order)
    data = {(f"line_{shelf}" if key == "line" else key): value for key, value in data.items()}

    response = customer_service_client.post(
        reverse("orders:return_add", args=[order.order_number]), data
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Return.objects.count() == 0


def test_a_return_is_received_then_refunded_with_its_amount(customer_service_client, place_order):
    order = place_order()
    shelf, _book = line_ids(order)
    return_request = return_create(actor=ACTOR, order=order, quantities={shelf: 1}, reason="Rikki")
    url = reverse("orders:return_status", args=[order.order_number, return_request.pk])

    received = customer_service_client.post(url, {"status": "received"})
    refunded = customer_service_client.post(url, {"status": "refunded", "refund_amount": "89.90"})

    return_request.refresh_from_db()
    assert (received.status_code, refunded.status_code) == (302, 302)
    assert (return_request.status, return_request.refund_amount) == ("refunded", Decimal("89.90"))
    events = AuditEvent.objects.filter(action=Action.UPDATE, object_type="orders.return")
    assert [(e.changed_fields, personal_text_decrypt(e)) for e in events.order_by("id")] == [
        (["status"], "return received"),
        (["refund_amount", "status"], "return refunded"),
    ]
    page = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))
    assert "89.90&nbsp;€" in page.content.decode()


def test_in_finnish_the_refund_takes_a_decimal_comma(client_as, place_order):
    order = place_order()
    shelf, _book = line_ids(order)
    return_request = return_create(actor=ACTOR, order=order, quantities={shelf: 1}, reason="Rikki")
    return_status_change(actor=ACTOR, return_request=return_request, status="received")

    response = client_as("customer_service").post(
        reverse("orders:return_status", args=[order.order_number, return_request.pk]),
        {"status": "refunded", "refund_amount": "45,50"},
        HTTP_ACCEPT_LANGUAGE="fi",
    )

    return_request.refresh_from_db()
    assert response.status_code == 302
    assert return_request.refund_amount == Decimal("45.50")


@pytest.mark.parametrize("amount", ["203.81", "-1", ""])
def test_a_refund_outside_zero_to_the_order_total_is_refused(
    customer_service_client, place_order, amount
):
    order = place_order()
    shelf, _book = line_ids(order)
    return_request = return_create(actor=ACTOR, order=order, quantities={shelf: 1}, reason="Rikki")
    return_status_change(actor=ACTOR, return_request=return_request, status="received")

    response = customer_service_client.post(
        reverse("orders:return_status", args=[order.order_number, return_request.pk]),
        {"status": "refunded", "refund_amount": amount},
    )

    return_request.refresh_from_db()
    assert response.status_code == 400
    assert "The refund must be from 0 to 203.80 €." in response.content.decode()
    assert (return_request.status, return_request.refund_amount) == ("received", Decimal("0.00"))


def test_a_return_status_change_outside_the_transitions_is_refused(
    customer_service_client, place_order
):
    order = place_order()
    shelf, _book = line_ids(order)
    return_request = return_create(actor=ACTOR, order=order, quantities={shelf: 1}, reason="Rikki")

    response = customer_service_client.post(
        reverse("orders:return_status", args=[order.order_number, return_request.pk]),
        {"status": "refunded", "refund_amount": "10"},
    )

    return_request.refresh_from_db()
    assert response.status_code == 400
    assert "That change of a return&#x27;s status is not allowed." in response.content.decode()
    assert return_request.status == "requested"
