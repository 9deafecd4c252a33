"""Editing customers: audited, never a lost update (P5, P7, P13)."""

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.customers.models import Customer
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db


def edit_post(customer, **overrides):
    data = {
        "surname": customer.surname,
        "first_names": customer.first_names,
        "street_address": customer.street_address,
        "postal_code": customer.postal_code,
        "post_office": customer.post_office,
        "country": str(customer.country),
        "phone": customer.phone,
        "email": customer.email,
        "preferred_language": customer.preferred_language,
        "notes": customer.notes,
        "identity_code": "",
        "version": customer.version,
    }
    data.update(overrides)
    return data


def test_it_saves_changes_and_audits_the_changed_fields(customer_service_client):
    customer = make_customer(phone="+358401234567")

    response = customer_service_client.post(
        reverse("customers:edit", args=[customer.customer_number]),
        edit_post(customer, phone="050 111 2222", post_office="Kempele"),
    )

    customer.refresh_from_db()
    assert response.status_code == 302
    assert (customer.phone, customer.post_office, customer.version) == (
        "+358501112222",
        "Kempele",
        2,
    )
    event = AuditEvent.objects.get(action=Action.UPDATE)
    assert event.changed_fields == ["phone", "post_office"]
    assert event.customer_id == customer.pk


def test_saving_without_changes_writes_nothing(customer_service_client):
    customer = make_customer()

    customer_service_client.post(
        reverse("customers:edit", args=[customer.customer_number]), edit_post(customer)
    )

    customer.refresh_from_db()
    assert customer.version == 1
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_a_concurrent_edit_gets_a_conflict_and_is_never_lost(customer_service_client):
    customer = make_customer(post_office="Oulu")
    url = reverse("customers:edit", args=[customer.customer_number])
    stale = edit_post(customer, post_office="Raahe")
    customer_service_client.post(url, edit_post(customer, post_office="Kempele"))

    response = customer_service_client.post(url, stale, HTTP_ACCEPT_LANGUAGE="en")

    customer.refresh_from_db()
    assert response.status_code == 409
    assert "Someone else changed this customer" in response.content.decode()
    assert (customer.post_office, customer.version) == ("Kempele", 2)
    assert AuditEvent.objects.filter(action=Action.UPDATE).count() == 1


def test_bad_input_on_edit_changes_nothing(customer_service_client):
    customer = make_customer(email="aino@example.fi")

    response = customer_service_client.post(
        reverse("customers:edit", args=[customer.customer_number]),
        edit_post(customer, email="not-an-email", post_office="Kempele"),
    )

    customer.refresh_from_db()
    assert response.status_code == 400
    assert (customer.email, customer.version) == ("aino@example.fi", 1)
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_an_empty_identity_code_keeps_the_stored_one(customer_service_client):
    customer = make_customer(with_identity_code=True)
    stored = customer.identity_code_encrypted

    customer_service_client.post(
        reverse("customers:edit", args=[customer.customer_number]),
        edit_post(customer, post_office="Liminka"),
    )

    customer.refresh_from_db()
    assert customer.identity_code_encrypted == stored


def test_the_identity_code_can_be_replaced_and_removed(customer_service_client):
    customer = make_customer(with_identity_code=True)
    old_index = customer.identity_code_index
    url = reverse("customers:edit", args=[customer.customer_number])

    customer_service_client.post(url, edit_post(customer, identity_code=random_identity_code()))
    customer.refresh_from_db()
    replaced_index = customer.identity_code_index
    customer_service_client.post(url, edit_post(customer, remove_identity_code="on"))
    customer.refresh_from_db()

    assert replaced_index not in ("", old_index)
    assert (customer.identity_code_encrypted, customer.identity_code_index) == ("", "")
    assert [e.changed_fields for e in AuditEvent.objects.filter(action=Action.UPDATE)] == [
        ["identity_code"],
        ["identity_code"],
    ]


@pytest.mark.parametrize("role", ["marketing", "administrator", "auditor", None])
def test_roles_without_the_permission_cannot_edit(client_as, role):
    customer = make_customer(post_office="Oulu")

    response = client_as(role).post(
        reverse("customers:edit", args=[customer.customer_number]),
        edit_post(customer, post_office="Kempele"),
    )

    customer.refresh_from_db()
    assert response.status_code == 403
    assert (customer.post_office, customer.version) == ("Oulu", 1)
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


def test_the_edit_form_never_shows_the_identity_code(customer_service_client):
    code = random_identity_code()
    customer = make_customer(identity_code=code)

    response = customer_service_client.get(
        reverse("customers:edit", args=[customer.customer_number])
    )

    assert response.status_code == 200
    assert code not in response.content.decode()
    assert Customer.objects.get().version == 1
