"""Legal holds: while one is in force, the customer is neither erased nor touched by
retention."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer, Status
from rekisteri.privacy.erasure import services as erasure
from rekisteri.privacy.models import LegalHold
from rekisteri.privacy.retention import holds
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
REASON = "Riita-asia käräjäoikeudessa, asia L 26/1234"


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"


def holds_url(customer: Customer) -> str:
    return reverse("privacy:legal_hold", args=[customer.customer_number])


def lift_url(hold: LegalHold) -> str:
    return reverse("privacy:legal_hold_lift", args=[hold.customer.customer_number, hold.pk])


def test_the_privacy_officer_places_a_hold_and_it_stops_erasure(privacy_officer_client):
    customer = make_customer()

    response = privacy_officer_client.post(holds_url(customer), {"reason": REASON})

    assert response.status_code == 302
    assert response.url == holds_url(customer)
    hold = LegalHold.objects.get()
    user = response.wsgi_request.user
    assert (hold.customer, hold.reason, hold.placed_by, hold.lifted_at) == (
        customer,
        REASON,
        user,
        None,
    )
    event = AuditEvent.objects.get(object_type="privacy.legalhold")
    assert (event.action, event.customer_id, personal_text_decrypt(event)) == (
        Action.CREATE,
        customer.pk,
        "legal hold placed",
    )
    assert holds.has_legal_hold(customer)
    detail = reverse("customers:detail", args=[customer.customer_number])
    assert "Legal hold in force since" in privacy_officer_client.get(detail).content.decode()
    assert REASON in privacy_officer_client.get(holds_url(customer)).content.decode()
    with pytest.raises(erasure.ErasureRefused):
        erasure.customer_erase(actor=SYSTEM, customer=customer, reason="Poistopyyntö kirjeitse")
    with pytest.raises(ValidationError):
        erasure.customer_anonymise(actor=SYSTEM, customer=customer, reason="retention test")
    assert Customer.objects.get(pk=customer.pk).status == Status.ACTIVE


def test_lifting_the_hold_lets_the_erasure_go_ahead(privacy_officer_client):
    customer = make_customer()
    hold = holds.legal_hold_place(actor=SYSTEM, customer=customer, reason=REASON)

    response = privacy_officer_client.post(lift_url(hold))

    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_by == response.wsgi_request.user
    assert hold.lifted_at is not None
    assert not holds.has_legal_hold(customer)
    assert erasure.erasure_plan(customer).refusals == []
    again = privacy_officer_client.post(lift_url(hold), follow=True)
    assert "The legal hold has already been lifted." in again.content.decode()
    assert AuditEvent.objects.filter(object_type="privacy.legalhold").count() == 2


def test_a_hold_is_lifted_only_through_its_own_customer(privacy_officer_client):
    hold = holds.legal_hold_place(actor=SYSTEM, customer=make_customer(), reason=REASON)
    other = make_customer()

    response = privacy_officer_client.post(
        reverse("privacy:legal_hold_lift", args=[other.customer_number, hold.pk])
    )

    assert response.status_code == 404
    assert holds.has_legal_hold(hold.customer)


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("Riita", "Give the reason in at least 10 characters."),
        (
            "Asiakkaan sähköposti {email} riidassa",
            "Do not write the customer's name, contact data or any identity code in the "
            "reason: it is kept in the audit log, which is never changed.",
        ),
    ],
)
def test_a_bad_reason_is_refused_and_nothing_is_stored(privacy_officer_client, reason, message):
    customer = make_customer()

    response = privacy_officer_client.post(
        holds_url(customer), {"reason": reason.format(email=customer.email)}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"reason": [message]}
    assert not LegalHold.objects.exists()


def test_an_anonymised_customer_cannot_be_held(privacy_officer_client):
    customer = make_customer()
    erasure.customer_erase(actor=SYSTEM, customer=customer, reason="Poistopyyntö kirjeitse")

    response = privacy_officer_client.post(holds_url(customer), {"reason": REASON})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The customer has been anonymised: nothing is left to hold."
    ]
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.ADMINISTRATOR])
def test_only_the_privacy_officer_places_and_lifts_holds(client_as, role):
    customer = make_customer()
    hold = holds.legal_hold_place(actor=SYSTEM, customer=customer, reason=REASON)
    client = client_as(role)

    placed = client.post(holds_url(customer), {"reason": "Toinen riita-asia, L 26/99"})
    lifted = client.post(lift_url(hold))

    assert (placed.status_code, lifted.status_code) == (403, 403)
    assert list(LegalHold.objects.values_list("pk", "lifted_at")) == [(hold.pk, None)]
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 2


def test_retention_finds_the_held_customers_as_a_query():
    customer = make_customer()
    holds.legal_hold_place(actor=SYSTEM, customer=customer, reason=REASON)

    assert list(holds.legal_holds_active().values_list("customer_id", flat=True)) == [customer.pk]
