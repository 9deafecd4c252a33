"""The order page: what was sold, at which prices and VAT, and its status (P9)."""

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Order
from rekisteri.orders.services import order_status_change

pytestmark = pytest.mark.django_db


def test_viewing_an_order_is_an_audited_read_of_the_customer(customer_service_client, place_order):
    order = place_order()

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert (event.object_type, event.object_id) == ("orders.order", str(order.pk))
    assert event.customer_id == order.customer_id
    assert event.actor_type == "staff"


def test_the_page_shows_lines_totals_and_the_customer(customer_service_client, place_order):
    order = place_order()

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    body = response.content.decode()
    customer = order.customer
    assert reverse("customers:detail", args=[customer.customer_number]) in body
    assert "Hylly 120 cm" in body
    assert "89.90&nbsp;€" in body
    assert "25.5&nbsp;%" in body
    assert "14&nbsp;%" in body
    assert "179.80&nbsp;€" in body
    assert "203.80&nbsp;€" in body  # gross
    assert "39.48&nbsp;€" in body  # VAT
    assert "164.32&nbsp;€" in body  # net
    assert "Phone" in body


def test_in_finnish_euros_have_a_decimal_comma(client_as, place_order):
    order = place_order()
    client = client_as("customer_service")

    response = client.get(
        reverse("orders:detail", args=[order.order_number]), HTTP_ACCEPT_LANGUAGE="fi"
    )

    body = response.content.decode()
    assert "203,80&nbsp;€" in body
    assert "39,48&nbsp;€" in body
    assert "25,5&nbsp;%" in body


def test_the_page_names_the_integration_and_the_shops_order_id(
    customer_service_client, place_order
):
    integration = integration_create(
        actor=Actor.system("test"), kind="woocommerce", name="Verkkokauppa"
    ).integration
    order = place_order(channel="web_shop", integration=integration, external_id="WC-4711")

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    body = response.content.decode()
    assert "Verkkokauppa" in body
    assert "WC-4711" in body


def test_an_unknown_order_is_not_found_and_not_audited(customer_service_client):
    response = customer_service_client.get(reverse("orders:detail", args=[999999]))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


def test_the_status_form_offers_only_the_allowed_next_statuses(
    customer_service_client, place_order
):
    order = place_order()

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    widget = response.context["status_form"].fields["status"].widget
    assert [value for value, _label in widget.choices] == ["confirmed", "shipped", "cancelled"]


def test_an_allowed_status_change_is_saved_and_audited(customer_service_client, place_order):
    order = place_order()

    response = customer_service_client.post(
        reverse("orders:status", args=[order.order_number]), {"status": "confirmed", "version": 1}
    )

    order.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("orders:detail", args=[order.order_number])
    assert (order.status, order.version) == ("confirmed", 2)
    event = AuditEvent.objects.get(action=Action.UPDATE)
    assert (event.object_type, event.object_id) == ("orders.order", str(order.pk))
    assert event.customer_id == order.customer_id
    assert event.changed_fields == ["status"]
    assert personal_text_decrypt(event) == "status confirmed"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("completed", "An order that is Received cannot become Completed."),
        ("delivered", "An order that is Received cannot become Delivered."),
        ("lost", "Select a valid choice."),
    ],
)
def test_a_status_change_outside_the_transitions_is_refused(
    customer_service_client, place_order, status, message
):
    order = place_order()

    response = customer_service_client.post(
        reverse("orders:status", args=[order.order_number]), {"status": status, "version": 1}
    )

    order.refresh_from_db()
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (order.status, order.version) == ("received", 1)
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_a_finished_order_offers_no_status_change(customer_service_client, place_order):
    order = place_order()
    order_status_change(actor=Actor.system("test"), order=order, status="cancelled")

    response = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))

    assert "The order's status can no longer change." in response.content.decode()
    assert reverse("orders:status", args=[order.order_number]) not in response.content.decode()


def test_a_change_on_a_stale_version_is_a_conflict_and_changes_nothing(
    customer_service_client, place_order
):
    """Optimistic locking: the form carries the version it was shown with."""
    order = place_order()
    order_status_change(actor=Actor.system("test"), order=order, status="confirmed")

    response = customer_service_client.post(
        reverse("orders:status", args=[order.order_number]), {"status": "cancelled", "version": 1}
    )

    order.refresh_from_db()
    assert response.status_code == 409
    assert "Someone else changed this order" in response.content.decode()
    assert (order.status, order.version) == ("confirmed", 2)
    assert response.context["status_form"].initial["version"] == 2
    assert AuditEvent.objects.filter(action=Action.UPDATE, actor_type="staff").count() == 0


def test_the_same_status_on_a_stale_version_is_also_a_conflict(
    customer_service_client, place_order
):
    """Two people confirming at once: the second learns that the first already did."""
    order = place_order()
    order_status_change(actor=Actor.system("test"), order=order, status="confirmed")

    response = customer_service_client.post(
        reverse("orders:status", args=[order.order_number]), {"status": "confirmed", "version": 1}
    )

    assert response.status_code == 409
    assert Order.objects.get().version == 2
