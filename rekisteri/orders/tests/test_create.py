"""Customer service records phone and email orders: find the customer, then the order
with its lines, payment method and delivery address (P9, P10)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer
from rekisteri.orders.models import Order, OrderLine
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code
from rekisteri.testing.order_form import order_post

pytestmark = pytest.mark.django_db


def test_finding_the_customer_lists_matches_with_a_new_order_link(customer_service_client):
    """The same search as the customer list, each result leading to the order form."""
    customer = make_customer(surname="Korhonen")
    make_customer(surname="Nieminen")

    response = customer_service_client.post(reverse("orders:create_find"), {"q": "korhonen"})

    body = response.content.decode()
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].customers] == [customer.pk]
    assert reverse("orders:create", args=[customer.customer_number]) in body
    assert "New order for this customer" in body
    assert reverse("orders:create_new_caller") in body


def test_finding_by_identity_code_is_audited_as_on_the_customer_list(customer_service_client):
    code = random_identity_code()
    customer = make_customer(identity_code=code)

    response = customer_service_client.post(reverse("orders:create_find"), {"q": code})

    assert [c.pk for c in response.context["page"].customers] == [customer.pk]
    event = AuditEvent.objects.get(action=Action.SEARCH)
    assert (event.object_type, event.object_id) == ("customers.customer", str(customer.pk))
    assert (event.customer_id, personal_text_decrypt(event)) == (
        customer.pk,
        "identity code search",
    )


def test_the_find_page_without_a_search_shows_no_customers(customer_service_client):
    make_customer()

    response = customer_service_client.get(reverse("orders:create_find"))

    assert response.status_code == 200
    assert response.context["page"].customers == []


def test_the_order_form_is_prefilled_with_the_customers_address(customer_service_client):
    customer = make_customer(street_address="Isokatu 1", postal_code="90100", post_office="Oulu")

    response = customer_service_client.get(
        reverse("orders:create", args=[customer.customer_number])
    )

    form = response.context["form"]
    assert response.status_code == 200
    assert form["delivery_name"].value() == f"{customer.first_names} {customer.surname}"
    assert form["delivery_street_address"].value() == "Isokatu 1"
    assert form["delivery_postal_code"].value() == "90100"
    assert len(response.context["lines"].forms) == 8
    assert list(form.fields["channel"].choices) == [("phone", "Phone"), ("email", "Email")]
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert (event.object_type, event.customer_id) == ("customers.customer", customer.pk)


@pytest.mark.parametrize("channel", ["phone", "email"])
def test_staff_entry_creates_the_order_with_totals_and_channel(
    customer_service_client, products, channel
):
    customer = make_customer()
    Customer.objects.filter(pk=customer.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=400)
    )
    before = timezone.now()

    response = customer_service_client.post(
        reverse("orders:create", args=[customer.customer_number]),
        order_post(channel=channel, notes="Soittaa ennen toimitusta"),
    )

    order = Order.objects.get()
    customer.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("orders:detail", args=[order.order_number])
    assert (order.customer_id, order.channel, order.payment_method) == (
        customer.pk,
        channel,
        "prepaid",
    )
    assert order.total_gross == Decimal("203.80")
    assert order.total_vat == Decimal("39.48")
    assert order.notes == "Soittaa ennen toimitusta"
    assert (order.delivery_name, order.delivery_postal_code) == ("Aino Virtanen", "90100")
    assert order.created_by_label.startswith("staff")
    assert list(order.lines.values_list("line_number", "sku", "quantity", "line_total")) == [
        (1, "HYL-120", 2, Decimal("179.80")),
        (2, "KIRJA-1", 1, Decimal("24.00")),
    ]
    assert customer.last_activity_at >= before
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="orders.order")
    assert event.object_id == str(order.pk)
    assert event.customer_id == customer.pk
    assert event.actor_type == "staff"
    assert event.changed_fields == sorted(
        ["channel", "delivery_address", "lines", "payment_method", "status"]
    )


def test_empty_rows_between_lines_are_skipped(customer_service_client, products):
    customer = make_customer()

    customer_service_client.post(
        reverse("orders:create", args=[customer.customer_number]),
        order_post((("", ""), ("KIRJA-1", "3"), ("", ""), ("HYL-120", "1"))),
    )

    assert list(Order.objects.get().lines.values_list("sku", "quantity")) == [
        ("KIRJA-1", 3),
        ("HYL-120", 1),
    ]


BAD_LINES = [
    ((("EI-OLE", "1"),), "Line 1: no product has the code EI-OLE."),
    ((("VANHA-9", "1"),), "Line 1: no product has the code VANHA-9."),
    ((("HYL-120", "0"),), "Ensure this value is greater than or equal to 1."),
    ((("HYL-120", "-2"),), "Ensure this value is greater than or equal to 1."),
    ((("HYL-120", "1.5"),), "Enter a whole number."),
    ((("HYL-120", ""),), "How many?"),
    ((("", "3"),), "Which product? Enter its code."),
    ((), "An order needs at least one line."),
]


@pytest.mark.parametrize(("rows", "message"), BAD_LINES, ids=lambda v: str(v)[:30])
def test_bad_lines_get_a_clear_error_and_nothing_is_stored(
    customer_service_client, products, rows, message
):
    customer = make_customer()
    events_before = AuditEvent.objects.count()

    response = customer_service_client.post(
        reverse("orders:create", args=[customer.customer_number]), order_post(rows)
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Order.objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_one_bad_line_among_good_ones_stores_none_of_them(customer_service_client, products):
    customer = make_customer()

    response = customer_service_client.post(
        reverse("orders:create", args=[customer.customer_number]),
        order_post((("HYL-120", "1"), ("EI-OLE", "2"))),
    )

    assert response.status_code == 400
    assert "Line 2: no product has the code EI-OLE." in response.content.decode()
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("channel", "web_shop", "Select a valid choice."),
        ("payment_method", "bitcoin", "Select a valid choice."),
        ("delivery_name", "", "This field is required."),
        ("delivery_postal_code", "9010", "A Finnish postal code is five digits"),
    ],
)
def test_bad_order_data_gets_a_clear_error_and_nothing_is_stored(
    customer_service_client, products, field, value, message
):
    customer = make_customer()

    response = customer_service_client.post(
        reverse("orders:create", args=[customer.customer_number]), order_post(**{field: value})
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Order.objects.count() == 0


def test_an_unknown_customer_is_not_found(customer_service_client, products):
    response = customer_service_client.post(reverse("orders:create", args=[99999]), order_post())

    assert response.status_code == 404
    assert Order.objects.count() == 0


def test_the_product_lookup_shows_the_name_and_price_of_a_code(customer_service_client, products):
    """The order form's row input sends its own name; htmx swaps the answer beside it."""
    response = customer_service_client.get(
        reverse("orders:product_lookup"), {"lines-3-sku": " HYL-120 "}
    )

    assert response.status_code == 200
    assert response.content.decode().strip() == (
        'Hylly 120 cm · 89.90&nbsp;€ <span class="muted">(VAT 25.5 %)</span>'
    )


def test_the_product_lookup_says_when_no_active_product_has_the_code(
    customer_service_client, products
):
    response = customer_service_client.get(reverse("orders:product_lookup"), {"sku": "VANHA-9"})

    assert "No product has this code." in response.content.decode()


def test_with_htmx_the_search_answers_with_the_results_only(customer_service_client):
    make_customer(surname="Korhonen")

    response = customer_service_client.post(
        reverse("orders:create_find"), {"q": "korhonen"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body
