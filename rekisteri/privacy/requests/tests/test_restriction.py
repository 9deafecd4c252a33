"""Restriction of processing (GDPR art. 18): the customer is only stored, marketing
cannot reach them, and everyone who opens their page sees it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents.selectors import customers_eligible
from rekisteri.consents.services import consent_grant
from rekisteri.customers.models import Customer, Status
from rekisteri.privacy.erasure import services as erasure
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
REASON = "Asiakas kiistää tietojen paikkansapitävyyden"
BANNER = "Processing restricted (GDPR art. 18)"


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"


def restrict_url(customer: Customer) -> str:
    return reverse("privacy:restrict", args=[customer.customer_number])


def lift_url(customer: Customer) -> str:
    return reverse("privacy:restriction_lift", args=[customer.customer_number])


def detail_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.customer_number])


def status_events(customer: Customer) -> list[tuple[str, list[str], str | None]]:
    events = AuditEvent.objects.filter(customer=customer, changed_fields=["status"])
    return [(e.action, e.changed_fields, personal_text_decrypt(e)) for e in events.order_by("id")]


def test_the_privacy_officer_restricts_a_customer_and_everyone_sees_the_banner(
    privacy_officer_client, customer_service_client
):
    customer = make_customer()
    assert customers_eligible("post").filter(pk=customer.pk).exists()

    response = privacy_officer_client.post(restrict_url(customer), {"reason": REASON})

    assert response.status_code == 302
    assert response.url == detail_url(customer)
    restricted = Customer.objects.get(pk=customer.pk)
    assert (restricted.status, restricted.version) == (Status.RESTRICTED, customer.version + 1)
    assert status_events(customer) == [
        (Action.UPDATE, ["status"], f"restricted (art. 18): {REASON}")
    ]
    assert not customers_eligible("post").filter(pk=customer.pk).exists()
    assert not customers_eligible("email", not_refused_suffices=True).filter(pk=customer.pk)
    assert BANNER in customer_service_client.get(detail_url(customer)).content.decode()
    with pytest.raises(ValidationError):
        consent_grant(actor=SYSTEM, customer=restricted, channel="sms", source="phone_call")


def test_lifting_the_restriction_makes_the_customer_active_again(privacy_officer_client):
    customer = make_customer()
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    page = privacy_officer_client.get(detail_url(customer)).content.decode()
    assert lift_url(customer) in page

    response = privacy_officer_client.post(
        lift_url(customer), {"reason": "Tiedot tarkistettu ja korjattu"}
    )

    assert response.status_code == 302
    lifted = Customer.objects.get(pk=customer.pk)
    assert (lifted.status, lifted.version) == (Status.ACTIVE, customer.version + 2)
    assert status_events(customer)[-1] == (
        Action.UPDATE,
        ["status"],
        "restriction lifted: Tiedot tarkistettu ja korjattu; the person was told first: by "
        "email to the address on record",
    )
    assert customers_eligible("post").filter(pk=customer.pk).exists()
    assert BANNER not in privacy_officer_client.get(detail_url(customer)).content.decode()


def test_the_restriction_answers_a_restriction_request():
    customer = make_customer()
    request = subject_request_record(
        actor=SYSTEM,
        kind="restriction",
        received_via="letter",
        received_at=timezone.now(),
        customer=customer,
        name="Asiakas itse",
        verification_note="Kirjeen allekirjoitus ja osoite täsmäävät",
    )

    erasure.customer_restrict(
        actor=SYSTEM, customer=customer, reason=REASON, subject_request=request
    )

    assert status_events(customer) == [
        (
            Action.UPDATE,
            ["status"],
            f"restricted (art. 18): {REASON} (subject request {request.public_id})",
        )
    ]


@pytest.mark.parametrize(
    ("setup", "url_of", "message"),
    [
        ("restricted", restrict_url, "The customer's processing is already restricted."),
        ("active", lift_url, "The customer's processing is not restricted."),
        ("anonymised", restrict_url, "The customer has already been anonymised."),
        ("anonymised", lift_url, "The customer's processing is not restricted."),
    ],
)
def test_a_change_that_does_not_fit_the_status_is_refused_and_nothing_changes(
    privacy_officer_client, setup, url_of, message
):
    customer = make_customer()
    if setup == "restricted":
        erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    elif setup == "anonymised":
        erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)
    before = Customer.objects.values().get(pk=customer.pk)
    audit_before = AuditEvent.objects.count()

    response = privacy_officer_client.post(url_of(customer), {"reason": REASON})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [message]
    assert Customer.objects.values().get(pk=customer.pk) == before
    assert AuditEvent.objects.count() == audit_before


def test_a_reason_naming_the_customer_is_refused(privacy_officer_client):
    customer = make_customer()
    audit_before = AuditEvent.objects.count()

    response = privacy_officer_client.post(
        restrict_url(customer), {"reason": f"{customer.first_names} pyysi rajoittamista"}
    )

    assert response.status_code == 400
    assert "Do not write the customer's name" in response.context["form"].errors["reason"][0]
    assert Customer.objects.get(pk=customer.pk).status == Status.ACTIVE
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("role", [Role.CUSTOMER_SERVICE, Role.MARKETING, Role.AUDITOR])
def test_only_the_privacy_officer_restricts_and_a_refusal_changes_nothing(client_as, role):
    customer = make_customer()
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    client = client_as(role)

    restricted = client.post(restrict_url(customer), {"reason": REASON})
    lifted = client.post(lift_url(customer), {"reason": REASON})

    assert (restricted.status_code, lifted.status_code) == (403, 403)
    assert Customer.objects.get(pk=customer.pk).status == Status.RESTRICTED
    assert len(status_events(customer)) == 1
    denied = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()
    assert denied == 2
