"""The product range: code, name, price with VAT, VAT rate and whether it can be
ordered. Orders keep their own snapshot, so a change never rewrites one."""

from decimal import Decimal

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.orders.models import Product

pytestmark = pytest.mark.django_db


def product_post(**overrides):
    data = {
        "sku": "LAATIKKO-40",
        "name": "Muovilaatikko  40 l",
        "unit_price": "12.90",
        "vat_rate": "25.5",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_the_list_shows_every_product_active_first(customer_service_client, products):
    response = customer_service_client.get(reverse("orders:product_list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert [p.sku for p in response.context["products"]] == ["HYL-120", "KIRJA-1", "VANHA-9"]
    assert "89.90&nbsp;€" in body
    assert reverse("orders:product_edit", args=[products[0].pk]) in body


def test_a_product_is_created_and_audited(customer_service_client):
    response = customer_service_client.post(reverse("orders:product_create"), product_post())

    product = Product.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("orders:product_list")
    assert (product.sku, product.name, product.unit_price, product.vat_rate, product.is_active) == (
        "LAATIKKO-40",
        "Muovilaatikko 40 l",
        Decimal("12.90"),
        Decimal("25.5"),
        True,
    )
    event = AuditEvent.objects.get(action=Action.CREATE)
    assert (event.object_type, event.object_id, event.customer_id) == (
        "orders.product",
        str(product.pk),
        None,
    )
    assert event.changed_fields == ["is_active", "name", "sku", "unit_price", "vat_rate"]


def test_the_vat_rate_is_one_of_the_finnish_rates(customer_service_client):
    response = customer_service_client.get(reverse("orders:product_create"))

    choices = [value for value, _label in response.context["form"].fields["vat_rate"].choices]
    assert choices == ["25.5", "14.0", "10.0", "0.0"]


def test_in_finnish_the_price_takes_a_decimal_comma(client_as):
    response = client_as("customer_service").post(
        reverse("orders:product_create"),
        product_post(unit_price="12,90", vat_rate="14.0"),
        HTTP_ACCEPT_LANGUAGE="fi",
    )

    assert response.status_code == 302
    assert Product.objects.values_list("unit_price", "vat_rate").get() == (
        Decimal("12.90"),
        Decimal("14.0"),
    )


def test_a_product_is_changed_and_audited(customer_service_client, products):
    shelf = products[0]

    response = customer_service_client.post(
        reverse("orders:product_edit", args=[shelf.pk]),
        product_post(sku="HYL-120", name="Hylly 120 cm", unit_price="94.90", is_active=""),
    )

    shelf.refresh_from_db()
    assert response.status_code == 302
    assert (shelf.unit_price, shelf.is_active) == (Decimal("94.90"), False)
    event = AuditEvent.objects.get(action=Action.UPDATE)
    assert (event.object_type, event.object_id) == ("orders.product", str(shelf.pk))


def test_the_edit_form_is_filled_with_the_product(customer_service_client, products):
    response = customer_service_client.get(reverse("orders:product_edit", args=[products[1].pk]))

    form = response.context["form"]
    assert (form["sku"].value(), form["vat_rate"].value()) == ("KIRJA-1", "14.0")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sku": "HYL-120"}, "Product with this Product code already exists."),
        ({"unit_price": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"unit_price": "12.999"}, "Ensure that there are no more than 2 decimal places."),
        ({"vat_rate": "24.0"}, "Select a valid choice."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_bad_product_data_is_refused_and_nothing_is_stored(
    customer_service_client, products, overrides, message
):
    response = customer_service_client.post(
        reverse("orders:product_create"), product_post(**overrides)
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Product.objects.count() == 3
    assert not AuditEvent.objects.filter(object_type="orders.product").exists()


def test_an_unknown_product_is_not_found(customer_service_client):
    response = customer_service_client.get(reverse("orders:product_edit", args=[999]))

    assert response.status_code == 404
