"""Customer service gives the identity code with an invoice order, which needs it for
the credit check and the sale on credit (P8); the customer forms ask none. The order
page marks an invoice paid, from which the code's retention counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.crypto import keyring
from rekisteri.customers.models import IDENTITY_CODE_PURPOSE, Customer
from rekisteri.orders.models import Order, Product
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code
from rekisteri.testing.order_form import order_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shelf(db: None) -> Product:
    return Product.objects.create(sku="HYL-120", name="Hylly 120 cm", unit_price=Decimal("89.90"))


def enter(client, customer: Customer, **fields: str):
    return client.post(
        reverse("orders:create", args=[customer.customer_number]),
        order_post((("HYL-120", "1"),), **fields),
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_an_invoice_order_keeps_its_code_on_the_customer_encrypted(customer_service_client):
    customer = make_customer()
    code = random_identity_code()

    response = enter(
        customer_service_client, customer, payment_method="invoice", identity_code=code
    )

    customer.refresh_from_db()
    ring = keyring()
    assert response.status_code == 302
    assert Order.objects.get().payment_method == "invoice"
    assert code not in customer.identity_code_encrypted
    assert (
        ring.decrypt(
            customer.identity_code_encrypted,
            purpose=IDENTITY_CODE_PURPOSE,
            row=str(customer.public_id),
        )
        == code
    )
    assert customer.identity_code_index == ring.blind_index(code, purpose=IDENTITY_CODE_PURPOSE)
    kept = AuditEvent.objects.get(customer=customer, changed_fields=["identity_code"])
    assert (kept.action, personal_text_decrypt(kept)) == (
        Action.UPDATE,
        "kept for an invoice order",
    )
    # Found again by it, as before.
    found = customer_service_client.post(reverse("customers:search"), {"q": code})
    assert str(customer.customer_number) in found.content.decode()


def test_a_prepaid_order_takes_no_code_and_nothing_is_stored(customer_service_client):
    customer = make_customer()
    events = AuditEvent.objects.count()

    response = enter(
        customer_service_client,
        customer,
        payment_method="prepaid",
        identity_code=random_identity_code(),
    )

    customer.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].errors["identity_code"] == [
        "Only an invoice order needs the identity code (for the credit check and the sale on "
        "credit): leave it empty, or choose invoice."
    ]
    assert (customer.identity_code_encrypted, Order.objects.count()) == ("", 0)
    assert AuditEvent.objects.count() == events


def test_another_code_than_the_stored_one_is_refused(customer_service_client):
    customer = make_customer(with_identity_code=True)
    stored = customer.identity_code_encrypted
    events = AuditEvent.objects.count()

    response = enter(
        customer_service_client,
        customer,
        payment_method="invoice",
        identity_code=random_identity_code(),
    )

    customer.refresh_from_db()
    assert response.status_code == 400
    assert "another identity code stored" in response.content.decode()
    assert (customer.identity_code_encrypted, Order.objects.count()) == (stored, 0)
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("300295-900E", "not a real date"),
        ("abcdef", "Enter the identity code as date of birth"),
    ],
)
def test_a_bad_code_gets_a_clear_message_and_nothing_is_stored(
    customer_service_client, code, message
):
    customer = make_customer()

    response = enter(
        customer_service_client, customer, payment_method="invoice", identity_code=code
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert code not in response.content.decode()
    assert Order.objects.count() == 0


def test_temporary_codes_are_refused_outside_demo_and_test(customer_service_client, settings):
    settings.ACCEPT_TEMPORARY_IDENTITY_CODES = False
    customer = make_customer()

    response = enter(
        customer_service_client,
        customer,
        payment_method="invoice",
        identity_code=random_identity_code(),
    )

    assert "Temporary identity codes" in response.content.decode()
    assert Order.objects.count() == 0


def test_a_code_cannot_be_added_on_the_customer_form(customer_service_client):
    customer = make_customer()
    page = customer_service_client.get(reverse("customers:edit", args=[customer.customer_number]))

    assert 'name="identity_code"' not in page.content.decode()


def test_staff_mark_an_invoice_paid_once(customer_service_client):
    customer = make_customer()
    enter(
        customer_service_client,
        customer,
        payment_method="invoice",
        identity_code=random_identity_code(),
    )
    order = Order.objects.get()
    url = reverse("orders:settle", args=[order.order_number])
    page = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))
    assert f'action="{url}"' in page.content.decode()

    first = customer_service_client.post(url)
    order.refresh_from_db()
    paid_at = order.settled_at
    second = customer_service_client.post(url)
    order.refresh_from_db()

    assert (first.status_code, second.status_code) == (302, 302)
    assert paid_at is not None and order.settled_at == paid_at
    assert AuditEvent.objects.filter(changed_fields=["settled_at"]).count() == 1
    page = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))
    assert f'action="{url}"' not in page.content.decode()


def test_a_prepaid_order_is_not_marked_paid_later(customer_service_client):
    enter(customer_service_client, make_customer(), payment_method="prepaid")
    order = Order.objects.get()
    events = AuditEvent.objects.exclude(action=Action.VIEW).count()

    response = customer_service_client.post(
        reverse("orders:settle", args=[order.order_number]), follow=True
    )

    order.refresh_from_db()
    assert order.settled_at is None
    assert "Only an invoice order is paid later" in response.content.decode()
    assert AuditEvent.objects.exclude(action=Action.VIEW).count() == events


@pytest.mark.parametrize("role", ["marketing", "auditor"])
def test_other_roles_cannot_mark_an_invoice_paid(client_as, customer_service_client, role):
    enter(
        customer_service_client,
        make_customer(),
        payment_method="invoice",
        identity_code=random_identity_code(),
    )
    order = Order.objects.get()

    response = client_as(role).post(reverse("orders:settle", args=[order.order_number]))

    order.refresh_from_db()
    assert response.status_code == 403
    assert order.settled_at is None
    assert not AuditEvent.objects.filter(changed_fields=["settled_at"]).exists()
