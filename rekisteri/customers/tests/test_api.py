"""Reading a customer through the API (audited like the page)."""

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db


def url_of(customer):
    return reverse("api:customer_read", kwargs={"public_id": customer.public_id})


def test_a_staff_member_reads_a_customer_and_the_read_is_audited(customer_service_client):
    code = random_identity_code()
    customer = make_customer(identity_code=code, surname="Korhonen")

    response = customer_service_client.get(url_of(customer))

    data = response.json()
    assert response.status_code == 200
    assert data["customer_number"] == customer.customer_number
    assert data["surname"] == "Korhonen"
    assert data["has_identity_code"] is True
    assert code not in response.content.decode()
    assert "identity_code" not in data
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert event.customer_id == customer.pk


def test_anonymous_api_reads_are_refused(client):
    """The staff operation needs a signed-in session: the visitor is sent to sign in."""
    customer = make_customer()

    response = client.get(url_of(customer))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


def test_a_role_without_the_permission_is_refused_and_audited(client_as):
    customer = make_customer()

    response = client_as("marketing").get(url_of(customer))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


def test_an_unknown_customer_is_not_found(customer_service_client):
    response = customer_service_client.get(
        reverse("api:customer_read", kwargs={"public_id": "00000000-0000-4000-8000-000000000000"})
    )

    assert response.status_code == 404
