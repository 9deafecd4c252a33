"""A phone or email order that customer service enters is confirmed to the customer
(P7, P12, GDPR art. 13): by email with the order, the notice of the credit check of an
invoice order and the privacy notice's link; by SMS with no more than the number, the
total and the link when there is no email; and staff see when neither was possible."""

from __future__ import annotations

import smtplib

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.credit.simulator import running_simulator
from rekisteri.credit.tests.simulator_codes import code_for
from rekisteri.customers.models import HeldChange
from rekisteri.marketing import sms
from rekisteri.orders.models import Order, OrderConfirmation
from rekisteri.privacy.erasure import services as erasure
from rekisteri.testing.factories import make_customer
from rekisteri.testing.order_form import order_post
from rekisteri.testing.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db

CREDIT_NOTICE = (
    "Creditworthiness was checked from Suomen Asiakastieto Oy's system at the time of the order."
)
NOTICE_URL = f"{settings.PUBLIC_URL}/tietosuojaseloste/"
NO_CONTACT = "No confirmation could be sent: the customer has no email address or mobile number"
NO_CONTACT_SAVED = (
    "No confirmation can be sent to the customer: they have no email address or mobile number."
)


@pytest.fixture(scope="module")
def credit_simulator():
    with running_simulator() as server:
        yield server


@pytest.fixture
def bureau(credit_simulator, monkeypatch):
    """The local bureau simulator, with Rekisteri pointed at it: invoice orders are
    checked with it over real HTTP."""
    for name, value in credit_simulator.environment().items():
        monkeypatch.setenv(name, value)
    return credit_simulator


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    settings.REKISTERI_REPLAY_LOG = tmp_path / "replay-log.jsonl"


@pytest.fixture(autouse=True)
def _outboxes():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def enter_order(client, customer, **form: str) -> Order:
    """Customer service enters the order on the order form (two shelves and a book,
    203.80 € in all) and is taken to the order page."""
    response = client.post(
        reverse("orders:create", args=[customer.customer_number]), order_post(**form)
    )
    order = Order.objects.get(customer=customer)
    assert response.status_code == 302
    assert response.url == reverse("orders:detail", args=[order.order_number])
    return order


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def confirmation_events(order: Order) -> list[tuple[str, str, str | None]]:
    ids = [str(pk) for pk in order.confirmations.values_list("pk", flat=True)]
    events = AuditEvent.objects.filter(
        object_type="orders.orderconfirmation", object_id__in=ids
    ).order_by("pk")
    return [(e.action, e.actor_label, personal_text_decrypt(e)) for e in events]


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_a_phone_invoice_order_is_emailed_with_the_order_the_credit_notice_and_the_link(
    customer_service_client, bureau, products, language
):
    customer = make_customer(identity_code=code_for(905), preferred_language=language)

    order = enter_order(customer_service_client, customer, payment_method="invoice")

    confirmation = OrderConfirmation.objects.get()
    assert (confirmation.order, confirmation.channel, confirmation.status) == (
        order,
        "email",
        "queued",
    )
    assert (confirmation.language, confirmation.tells_of_credit_check) == (language, True)
    assert mail.outbox == []  # the worker sends it, not the web request

    assert run_queued_tasks() == 1

    [email] = mail.outbox
    body = email.body
    assert email.to == [customer.email]
    assert email.subject == in_language(language, "Your order %(number)s at %(business)s") % {
        "number": order.order_number,
        "business": settings.BUSINESS_NAME,
    }
    assert "2 × Hylly 120 cm (HYL-120) à 89,90 €: 179,80 €" in body
    assert "1 × Varastokirja (KIRJA-1) à 24,00 €: 24,00 €" in body
    assert ": 203,80 €" in body  # the total, VAT included
    assert ": 39,48 €" in body  # the VAT
    assert ": 164,32 €" in body  # without VAT
    assert "Aino Virtanen\nKauppurienkatu 12 A 3\n90100 Oulu" in body
    assert in_language(language, "Invoice") in body
    assert in_language(language, CREDIT_NOTICE) in body
    assert f"{NOTICE_URL}?kieli={language}\n" in body
    notice = Client().get(f"/tietosuojaseloste/?kieli={language}")  # the link, as opened
    assert (notice.status_code, notice["Content-Language"]) == (200, language)
    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts, confirmation.detail) == ("sent", 1, "")
    assert confirmation.sent_at is not None
    staff_label = confirmation.requested_by_label
    assert confirmation_events(order) == [
        ("create", staff_label, "order confirmation by email"),
        ("update", "order confirmation", "order confirmation sent by email"),
    ]
    page = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))
    assert "Order confirmation to the customer" in page.content.decode()
    assert list(page.context["confirmations"]) == [confirmation]


def test_a_prepaid_order_is_confirmed_without_the_credit_notice(customer_service_client, products):
    customer = make_customer(preferred_language="en")

    order = enter_order(customer_service_client, customer, channel="email")
    run_queued_tasks()

    [email] = mail.outbox
    assert "Prepaid" in email.body
    assert "Asiakastieto" not in email.body
    assert f"{NOTICE_URL}?kieli=en\n" in email.body
    confirmation = OrderConfirmation.objects.get(order=order)
    assert (confirmation.status, confirmation.tells_of_credit_check) == ("sent", False)


def test_a_customer_with_only_a_mobile_number_gets_an_sms_with_no_more_than_needed(
    customer_service_client, products
):
    customer = make_customer(email="", phone="+358401234567", preferred_language="en")

    order = enter_order(customer_service_client, customer)
    run_queued_tasks()

    assert mail.outbox == []
    [message] = sms.outbox
    assert message.to == "+358401234567"
    assert message.body == (
        f"{settings.BUSINESS_NAME}: we received your order {order.order_number}, 203.80 € "
        f"(VAT included). Privacy notice: {NOTICE_URL}?kieli=en"
    )
    for personal in (customer.surname, "Virtanen", "Kauppurienkatu", "Hylly", "Prepaid"):
        assert personal not in message.body
    confirmation = OrderConfirmation.objects.get(order=order)
    assert (confirmation.channel, confirmation.status) == ("sms", "sent")
    assert confirmation_events(order)[-1][2] == "order confirmation sent by sms"


@pytest.mark.parametrize("phone", ["", "+35885551234"])  # none, or a landline
def test_with_no_email_or_mobile_number_staff_see_that_nothing_was_sent(
    customer_service_client, products, phone
):
    customer = make_customer(email="", phone=phone)

    order = enter_order(customer_service_client, customer)

    assert run_queued_tasks() == 0
    assert (mail.outbox, sms.outbox) == ([], [])
    confirmation = OrderConfirmation.objects.get(order=order)
    assert (confirmation.channel, confirmation.status) == ("none", "not_sent")
    assert confirmation_events(order) == [
        (
            "create",
            confirmation.requested_by_label,
            "order confirmation not sent: no email or mobile number",
        )
    ]
    page = customer_service_client.get(reverse("orders:detail", args=[order.order_number]))
    assert NO_CONTACT in page.content.decode()
    assert NO_CONTACT_SAVED in [str(message) for message in page.context["messages"]]


def test_customer_service_sends_the_confirmation_again_and_it_is_audited(
    customer_service_client, products
):
    customer = make_customer(preferred_language="en")
    order = enter_order(customer_service_client, customer)
    run_queued_tasks()

    response = customer_service_client.post(
        reverse("orders:confirmation_send_again", args=[order.order_number])
    )

    assert response.status_code == 302
    assert response.url == reverse("orders:detail", args=[order.order_number]) + "#confirmation"
    assert run_queued_tasks() == 1
    assert [email.to for email in mail.outbox] == [[customer.email], [customer.email]]
    first, again = OrderConfirmation.objects.filter(order=order)
    assert (first.status, again.status) == ("sent", "sent")
    user = response.wsgi_request.user
    event = AuditEvent.objects.filter(
        object_type="orders.orderconfirmation", object_id=str(again.pk), action=Action.CREATE
    ).get()
    assert (event.actor_user_id, event.customer_id) == (user.pk, customer.pk)


def test_an_auditor_cannot_send_a_confirmation_and_nothing_changes(
    client_as, customer_service_client, products
):
    order = enter_order(customer_service_client, make_customer())
    run_queued_tasks()
    events_before = AuditEvent.objects.filter(object_type="orders.orderconfirmation").count()

    response = client_as(Role.AUDITOR).post(
        reverse("orders:confirmation_send_again", args=[order.order_number])
    )

    assert response.status_code == 403
    assert OrderConfirmation.objects.filter(order=order).count() == 1
    assert AuditEvent.objects.filter(object_type="orders.orderconfirmation").count() == (
        events_before
    )
    assert run_queued_tasks() == 0
    assert len(mail.outbox) == 1


def test_a_web_shop_order_is_not_confirmed_again_by_staff(customer_service_client, place_order):
    order = place_order(channel="web_shop", payment_method="prepaid")

    response = customer_service_client.post(
        reverse("orders:confirmation_send_again", args=[order.order_number])
    )

    assert response.status_code == 400
    assert "The web shop confirms its own orders." in response.content.decode()
    assert not OrderConfirmation.objects.exists()
    assert run_queued_tasks() == 0


class DisconnectingBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_failed_email_is_recorded_and_tried_again_later(
    customer_service_client, products, settings
):
    customer = make_customer(preferred_language="en")
    settings.EMAIL_BACKEND = f"{__name__}.DisconnectingBackend"
    order = enter_order(customer_service_client, customer)

    assert run_queued_tasks() == 1

    confirmation = OrderConfirmation.objects.get(order=order)
    assert (confirmation.status, confirmation.attempts, confirmation.detail) == (
        "queued",
        1,
        "SMTPServerDisconnected",
    )
    assert confirmation_events(order)[-1][2] == (
        "order confirmation by email failed (SMTPServerDisconnected), attempt 1 of 5: "
        "tried again later"
    )
    waiting = DBTaskResult.objects.get(status="READY")
    assert waiting.run_after > timezone.now()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
    assert run_queued_tasks() == 1

    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.attempts) == ("sent", 2)
    assert [email.to for email in mail.outbox] == [[customer.email]]


def test_a_restricted_customers_order_is_confirmed_only_when_it_is_made(
    customer_service_client, privacy_officer_client, products
):
    customer = make_customer(preferred_language="en")
    erasure.customer_restrict(
        actor=Actor.system("test"), customer=customer, reason="Asiakas kiistää tiedot"
    )
    customer_service_client.post(
        reverse("orders:create", args=[customer.customer_number]), order_post()
    )
    mail.outbox.clear()  # the privacy officers were told of the waiting order

    assert not Order.objects.filter(customer=customer).exists()
    assert not OrderConfirmation.objects.exists()
    assert run_queued_tasks() == 0

    held = HeldChange.objects.get(customer=customer)
    applied = privacy_officer_client.post(
        reverse("privacy:held_change", args=[held.public_id]),
        {"decision": "apply", "ground": "consent", "reason": "Asiakas antoi suostumuksen"},
    )

    assert applied.status_code == 302
    order = Order.objects.get(customer=customer)
    confirmation = OrderConfirmation.objects.get()
    assert (confirmation.order, confirmation.channel) == (order, "email")
    assert run_queued_tasks() == 1
    [email] = mail.outbox
    assert email.to == [customer.email]
    assert str(order.order_number) in email.subject
