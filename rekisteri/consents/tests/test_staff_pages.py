"""Staff see a customer's marketing consents and ledger on the customer page and
record what the customer said by phone or email (P3, P6, P11, P13)."""

import pytest
from django.urls import reverse

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.consents import services
from rekisteri.consents.models import ConsentEvent, ConsentText
from rekisteri.customers.models import Customer, Status
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def record_url(customer: Customer) -> str:
    return reverse("consents:record", args=[customer.customer_number])


def detail_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.customer_number])


def test_customer_service_records_a_consent_given_by_phone(customer_service_client):
    customer = make_customer(preferred_language="fi")

    response = customer_service_client.post(
        record_url(customer),
        {"kind": "grant", "channel": "sms", "source": "phone_call", "language": "en"},
    )

    assert response.status_code == 302
    assert response.url == detail_url(customer) + "#consents"
    event = ConsentEvent.objects.get()
    user = response.wsgi_request.user
    assert (event.customer, event.kind, event.channel, event.source, event.language) == (
        customer,
        "grant",
        "sms",
        "phone_call",
        "en",
    )
    assert event.text == ConsentText.objects.get(channel="sms", version=1)
    assert event.staff_user == user
    audit = AuditEvent.objects.get(object_type="consents.consentevent")
    assert (audit.actor_user, audit.customer_id, personal_text_decrypt(audit)) == (
        user,
        customer.pk,
        "grant sms (phone_call)",
    )


def test_the_privacy_officer_records_a_ban_asked_for_by_email(privacy_officer_client):
    customer = make_customer()

    response = privacy_officer_client.post(
        record_url(customer), {"kind": "ban", "channel": "", "source": "email", "language": "fi"}
    )

    assert response.status_code == 302
    event = ConsentEvent.objects.get()
    assert (event.kind, event.channel, event.source) == ("ban", "", "email")


def test_a_consent_without_a_channel_is_refused_with_a_clear_error(customer_service_client):
    customer = make_customer()

    response = customer_service_client.post(
        record_url(customer),
        {"kind": "grant", "channel": "", "source": "phone_call", "language": "fi"},
    )

    assert response.status_code == 400
    assert response.context["consent_form"].errors == {"channel": ["Choose the channel."]}
    assert not ConsentEvent.objects.exists()


def test_a_restricted_customer_cannot_be_given_a_consent_on_the_page(customer_service_client):
    customer = make_customer()
    Customer.objects.filter(pk=customer.pk).update(status=Status.RESTRICTED)
    audit_before = AuditEvent.objects.count()

    response = customer_service_client.post(
        record_url(customer),
        {"kind": "grant", "channel": "email", "source": "email", "language": "fi"},
    )

    assert response.status_code == 400
    assert "A restricted or anonymised customer cannot be given new consents." in (
        response.content.decode()
    )
    assert not ConsentEvent.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_an_unknown_customer_is_not_found(customer_service_client):
    response = customer_service_client.post(
        reverse("consents:record", args=[999999]),
        {"kind": "ban", "source": "email", "language": "fi"},
    )

    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.MARKETING, Role.ADMINISTRATOR, Role.AUDITOR, None])
def test_other_roles_are_refused_and_nothing_is_recorded(client_as, role):
    customer = make_customer()
    client = client_as(role)
    audit_before = AuditEvent.objects.exclude(action=Action.PERMISSION_DENIED).count()

    response = client.post(
        record_url(customer), {"kind": "ban", "source": "email", "language": "fi"}
    )

    assert response.status_code == 403
    assert not ConsentEvent.objects.exists()
    assert AuditEvent.objects.exclude(action=Action.PERMISSION_DENIED).count() == audit_before
    denied = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert (denied.object_type, denied.object_id) == ("url", record_url(customer))


def test_recording_needs_a_post(customer_service_client):
    customer = make_customer()

    response = customer_service_client.get(record_url(customer))

    assert response.status_code == 405
    assert not ConsentEvent.objects.exists()


def test_the_customer_page_shows_the_state_and_the_ledger_newest_first(customer_service_client):
    customer = make_customer()
    services.consent_grant(actor=SYSTEM, customer=customer, channel="email", source="email")
    services.consent_withdraw(actor=SYSTEM, customer=customer, channel="post", source="email")
    services.marketing_ban(actor=SYSTEM, customer=customer, source="phone_call")

    response = customer_service_client.get(detail_url(customer))

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["consent_state"].banned is True
    assert [e.kind for e in response.context["consent_events"]] == ["ban", "withdrawal", "grant"]
    assert "Marketing consents" in body
    assert "Direct marketing ban since" in body
    assert "Not allowed: direct marketing ban" in body
    assert "version 1, Finnish" in body
    assert record_url(customer) in body


def test_a_customer_without_events_shows_the_defaults(customer_service_client):
    customer = make_customer()

    response = customer_service_client.get(detail_url(customer))

    body = response.content.decode()
    assert "No direct marketing ban." in body
    assert "Allowed: not refused" in body
    assert "Not allowed: no opt-in" in body
    assert "No consents, withdrawals or bans recorded." in body
