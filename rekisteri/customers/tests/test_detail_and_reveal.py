"""The customer page and revealing the identity code (P8, P13)."""

import pytest
from django.urls import reverse

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer
from rekisteri.testing.factories import make_customer
from rekisteri.testing.identity_codes import random_identity_code

pytestmark = pytest.mark.django_db


def test_viewing_a_customer_is_audited(customer_service_client):
    customer = make_customer(surname="Hämäläinen")

    response = customer_service_client.get(
        reverse("customers:detail", args=[customer.customer_number])
    )

    assert response.status_code == 200
    assert "Hämäläinen" in response.content.decode()
    event = AuditEvent.objects.filter(action=Action.VIEW).get()
    assert event.customer_id == customer.pk
    assert event.actor_type == "staff"
    assert event.request_id == response["X-Request-ID"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_page_shows_who_viewed_and_changed_the_customer(customer_service_client):
    customer = make_customer()

    customer_service_client.get(reverse("customers:detail", args=[customer.customer_number]))
    response = customer_service_client.get(
        reverse("customers:detail", args=[customer.customer_number])
    )

    events = response.context["events"]
    assert [e.action for e in events] == [Action.VIEW, Action.VIEW, Action.CREATE]


def test_the_identity_code_is_masked_on_the_page(customer_service_client):
    code = random_identity_code()
    customer = make_customer(identity_code=code)

    response = customer_service_client.get(
        reverse("customers:detail", args=[customer.customer_number])
    )

    body = response.content.decode()
    assert code not in body
    assert "••••••-••••" in body
    assert reverse("customers:reveal", args=[customer.customer_number]) not in body


def test_an_unknown_customer_is_not_found(customer_service_client):
    response = customer_service_client.get(reverse("customers:detail", args=[99999]))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=Action.VIEW).exists()


def test_the_privacy_officer_reveals_the_code_for_a_recorded_reason(privacy_officer_client):
    code = random_identity_code()
    customer = make_customer(identity_code=code)
    url = reverse("customers:reveal", args=[customer.customer_number])

    response = privacy_officer_client.post(url, {"reason": "Asiakkaan tarkastuspyyntö 12/2026"})

    assert response.status_code == 200
    assert code in response.content.decode()
    assert code not in url
    event = AuditEvent.objects.get(action=Action.REVEAL)
    assert event.customer_id == customer.pk
    assert personal_text_decrypt(event) == "Asiakkaan tarkastuspyyntö 12/2026"
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_identity_code_copied_onto_another_customer_is_not_revealed(privacy_officer_client):
    """The ciphertext is bound to its customer's row: moved onto another customer's
    record (by someone with access to the database), it does not decrypt."""
    code = random_identity_code()
    aino = make_customer(identity_code=code)
    bertta = make_customer(with_identity_code=True)
    Customer.objects.filter(pk=bertta.pk).update(
        identity_code_encrypted=aino.identity_code_encrypted
    )

    response = privacy_officer_client.post(
        reverse("customers:reveal", args=[bertta.customer_number]),
        {"reason": "Asiakkaan tarkastuspyyntö 12/2026"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "copied here from another customer&#x27;s record" in body
    assert code not in body
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()


def test_revealing_needs_a_real_reason(privacy_officer_client):
    code = random_identity_code()
    customer = make_customer(identity_code=code)

    response = privacy_officer_client.post(
        reverse("customers:reveal", args=[customer.customer_number]),
        {"reason": "koska"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert code not in response.content.decode()
    assert "at least 10 characters" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()


def test_reveal_through_htmx_swaps_only_the_code_block(privacy_officer_client):
    code = random_identity_code()
    customer = make_customer(identity_code=code)

    response = privacy_officer_client.post(
        reverse("customers:reveal", args=[customer.customer_number]),
        {"reason": "Luottopäätöksen tarkistus"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="identity-code">')
    assert code in body


@pytest.mark.parametrize("role", ["customer_service", "marketing", "administrator", "auditor"])
def test_roles_without_the_permission_cannot_reveal(client_as, role):
    code = random_identity_code()
    customer = make_customer(identity_code=code)

    response = client_as(role).post(
        reverse("customers:reveal", args=[customer.customer_number]),
        {"reason": "Haluan nähdä tunnuksen"},
    )

    assert response.status_code == 403
    assert code not in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1


def test_reveal_is_post_only(privacy_officer_client):
    customer = make_customer(with_identity_code=True)

    response = privacy_officer_client.get(
        reverse("customers:reveal", args=[customer.customer_number])
    )

    assert response.status_code == 405
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()
