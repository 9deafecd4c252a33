"""The staff order entry asks for marketing consents: an unticked box per opt-in
channel with the exact wording; a ticked box is a grant with the order as evidence
(P3, P11)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.consents import services as consent_services
from rekisteri.consents.models import ConsentEvent, ConsentText
from rekisteri.customers.models import Customer, Status
from rekisteri.orders.models import Order, OrderLine
from rekisteri.testing.factories import make_customer
from rekisteri.testing.order_form import order_post

pytestmark = pytest.mark.django_db


def order_url(customer: Customer) -> str:
    return reverse("orders:create", args=[customer.customer_number])


def shown(channel: str) -> dict[str, str]:
    text = ConsentText.objects.get(channel=channel, version=1)
    return {f"consent_{channel}_text": str(text.pk)}


def test_the_form_shows_an_unticked_box_per_opt_in_channel_in_the_customers_language(
    customer_service_client,
):
    customer = make_customer(preferred_language="sv")
    email = ConsentText.objects.get(channel="email", version=1)

    response = customer_service_client.get(order_url(customer))

    body = response.content.decode()
    form = response.context["form"]
    assert form.consent_fields == ["consent_email", "consent_sms"]
    assert form["consent_email"].label == email.text_sv
    assert email.text_sv in body
    assert 'name="consent_email"' in body
    assert 'name="consent_email" checked' not in body
    assert f'name="consent_email_text" value="{email.pk}"' in body


@pytest.mark.parametrize(("channel", "source"), [("phone", "phone_call"), ("email", "email")])
def test_a_ticked_box_is_a_grant_with_the_order_as_evidence(
    customer_service_client, products, channel, source
):
    customer = make_customer()

    response = customer_service_client.post(
        order_url(customer),
        order_post(channel=channel, consent_email="on", **shown("email"), **shown("sms")),
    )

    assert response.status_code == 302
    order = Order.objects.get()
    event = ConsentEvent.objects.get()
    assert (event.customer, event.kind, event.channel, event.source, event.order) == (
        customer,
        "grant",
        "email",
        source,
        order,
    )
    assert event.text == ConsentText.objects.get(channel="email", version=1)
    assert event.staff_user == response.wsgi_request.user
    assert AuditEvent.objects.filter(
        object_type="consents.consentevent", object_id=str(event.pk), customer=customer
    ).exists()


def test_unticked_boxes_record_nothing(customer_service_client, products):
    customer = make_customer()

    response = customer_service_client.post(
        order_url(customer), order_post(**shown("email"), **shown("sms"))
    )

    assert response.status_code == 302
    assert Order.objects.count() == 1
    assert not ConsentEvent.objects.exists()


def test_the_grant_names_the_version_the_page_showed(customer_service_client, products):
    customer = make_customer()
    old = ConsentText.objects.get(channel="sms", version=1)
    ConsentText.objects.create(
        channel="sms",
        version=2,
        text_fi="U",
        text_sv="N",
        text_en="N",
        published_at=old.published_at,
    )

    customer_service_client.post(
        order_url(customer), order_post(consent_sms="on", consent_sms_text=str(old.pk))
    )

    assert ConsentEvent.objects.get().text == old


def test_a_restricted_customers_order_with_a_ticked_box_is_refused_whole(
    customer_service_client, products
):
    customer = make_customer()
    Customer.objects.filter(pk=customer.pk).update(status=Status.RESTRICTED)

    response = customer_service_client.post(
        order_url(customer), order_post(consent_sms="on", **shown("sms"))
    )

    assert response.status_code == 400
    assert "A restricted or anonymised customer cannot be given new consents." in (
        response.content.decode()
    )
    assert not Order.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_an_order_whose_consent_fails_to_record_is_not_saved_either(
    customer_service_client, products, monkeypatch
):
    """The order and its consents are one transaction: a consent refused as it is
    written (here the customer is restricted after the form's check, as another session
    could do) takes the order, its lines and their audit events with it."""
    customer = make_customer()
    last_activity = timezone.now() - datetime.timedelta(days=400)
    Customer.objects.filter(pk=customer.pk).update(last_activity_at=last_activity)
    events_before = AuditEvent.objects.count()
    grant = consent_services.consent_grant

    def grant_to_a_customer_restricted_meanwhile(**kwargs):
        Customer.objects.filter(pk=customer.pk).update(status=Status.RESTRICTED)
        return grant(**kwargs)

    monkeypatch.setattr(consent_services, "consent_grant", grant_to_a_customer_restricted_meanwhile)

    response = customer_service_client.post(
        order_url(customer), order_post(consent_email="on", **shown("email"))
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "__all__": ["A restricted or anonymised customer cannot be given new consents."]
    }
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not ConsentEvent.objects.exists()
    assert AuditEvent.objects.count() == events_before
    customer.refresh_from_db()
    assert customer.last_activity_at == last_activity
