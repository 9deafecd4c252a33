"""The customer page shows the customer's orders, deliveries and returns (P9)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from rekisteri.audit.services import Actor
from rekisteri.orders.services import delivery_create, return_create
from rekisteri.testing.auth import sign_in
from rekisteri.testing.factories import make_customer, make_staff

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def test_the_customer_page_lists_orders_with_deliveries_and_returns(
    customer_service_client, place_order
):
    customer = make_customer()
    older, newer = place_order(customer), place_order(customer, channel="email")
    delivery_create(actor=ACTOR, order=older, carrier="posti", tracking_code="JJFI123")
    return_create(
        actor=ACTOR, order=older, quantities={older.lines.first().pk: 1}, reason="Väärä koko"
    )
    place_order()  # someone else's

    response = customer_service_client.get(
        reverse("customers:detail", args=[customer.customer_number])
    )

    body = response.content.decode()
    assert [o.order_number for o in response.context["orders"]] == [
        newer.order_number,
        older.order_number,
    ]
    assert "Orders, deliveries and returns" in body
    assert reverse("orders:detail", args=[older.order_number]) in body
    assert "Posti JJFI123: Preparing" in body
    assert "Requested" in body
    assert "203.80&nbsp;€" in body
    assert reverse("orders:create", args=[customer.customer_number]) in body


def test_without_order_permissions_the_page_has_no_orders(client_as, place_order):
    """A role that sees customers but not orders gets neither the section nor the data."""
    customer = make_customer()
    place_order(customer)
    user = make_staff(None)
    user.user_permissions.add(
        Permission.objects.get(codename="view_customer", content_type__app_label="customers")
    )
    client = sign_in(user)

    response = client.get(reverse("customers:detail", args=[customer.customer_number]))

    assert response.status_code == 200
    assert response.context["orders"] == []
    assert "Orders, deliveries and returns" not in response.content.decode()
    assert (
        reverse("orders:create", args=[customer.customer_number]) not in response.content.decode()
    )
