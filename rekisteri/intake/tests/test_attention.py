"""The deliveries that wait for a person: the list, a delivery's page, and correcting,
attaching and discarding one, as customer service does it through the pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import Customer, Status
from rekisteri.intake import attention
from rekisteri.intake.inbox import inbox_drain
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.orders.models import Order
from rekisteri.testing.factories import make_customer, make_staff
from rekisteri.testing.identity_codes import random_identity_code
from rekisteri.testing.shops import (
    post_woocommerce,
    shop,
    stored_counts,
    woocommerce_json,
    woocommerce_order,
)

pytestmark = pytest.mark.django_db
LIST = reverse("intake:attention_list")


@pytest.fixture
def woo():
    return shop("woocommerce")


def _deliver(woo, **changes) -> InboxDelivery:
    """A delivery posted as the shop posts it, and processed as the worker does."""
    integration, secret = woo
    response = post_woocommerce(
        Client(), integration, secret, woocommerce_json(woocommerce_order(**changes))
    )
    assert response.status_code in (200, 202)
    inbox_drain()
    return InboxDelivery.objects.order_by("-pk")[0]


def _in_dollars(woo) -> InboxDelivery:
    delivery = _deliver(woo, currency="USD")
    assert (delivery.state, delivery.reason) == (DeliveryState.ATTENTION, "currency")
    return delivery


def _state(delivery: InboxDelivery) -> tuple[object, ...]:
    row = InboxDelivery.objects.get(pk=delivery.pk)
    return (row.state, row.reason, row.detail, row.order_id, row.resolution, row.resolved_by_id)


def _updates() -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="intake.inboxdelivery", action=Action.UPDATE
        ).order_by("id")
    )


def test_the_list_shows_a_delivery_in_another_currency(woo, customer_service_client):
    delivery = _in_dollars(woo)

    response = customer_service_client.get(LIST)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Another currency than the euro" in page
    assert "Verkkokauppa" in page and "727" in page
    assert reverse("intake:delivery", args=[delivery.public_id]) in page


def test_the_page_shows_the_order_as_sent_and_records_the_view(woo, customer_service_client):
    delivery = _in_dollars(woo)
    user_events = AuditEvent.objects.filter(action=Action.VIEW, object_id=str(delivery.pk))

    response = customer_service_client.get(reverse("intake:delivery", args=[delivery.public_id]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Helena Hietala" in page and "helena.hietala@example.fi" in page
    assert "Hylly 120 cm" in page and "89.90" in page and "25.5 %" in page
    assert "USD" in page and "219.80" in page
    assert 'name="correct-euro_total"' in page
    assert user_events.get().actor_label == response.wsgi_request.user.username


def test_an_identity_code_in_the_body_is_masked_and_never_filled_in(woo, customer_service_client):
    code = "010190-900P"
    delivery = _deliver(woo, currency="USD", customer_note=f"Hetu {code}")

    response = customer_service_client.get(reverse("intake:delivery", args=[delivery.public_id]))

    page = response.content.decode()
    assert code not in page
    assert "Hetu ••••••-••••" in page
    assert 'name="correct-identity_code"' in page
    assert 'name="correct-identity_code" value' not in page


def test_correcting_with_the_euro_amount_makes_the_order_in_euros(woo, customer_service_client):
    delivery = _in_dollars(woo)
    url = reverse("intake:delivery_correct", args=[delivery.public_id])

    response = customer_service_client.post(url, {"correct-euro_total": "200.00"})

    assert response.status_code == 302
    assert response.url == reverse("intake:delivery", args=[delivery.public_id])
    delivery.refresh_from_db()
    order = Order.objects.get()
    assert delivery.state == DeliveryState.DONE and delivery.order == order
    assert delivery.resolution == "corrected: euro_total"
    assert delivery.resolved_by == response.wsgi_request.user
    assert order.total_gross == Decimal("200.00")
    assert order.customer.surname == "Hietala"
    [event] = _updates()
    assert event.actor_user == response.wsgi_request.user
    assert event.customer == order.customer
    assert event.changed_fields == ["order", "resolution", "resolved_by", "state"]
    assert personal_text_decrypt(event) == "corrected: euro_total"
    followed = customer_service_client.get(response.url)
    assert "The order was accepted with the corrections." in followed.content.decode()


def test_accepting_an_order_in_another_currency_without_euros_changes_nothing(
    woo, customer_service_client
):
    delivery = _in_dollars(woo)
    before, counts, events = _state(delivery), stored_counts(), AuditEvent.objects.count()

    response = customer_service_client.post(
        reverse("intake:delivery_correct", args=[delivery.public_id]),
        {"correct-surname": "Hietala-Korhonen"},
    )

    assert response.status_code == 302
    assert _state(delivery) == before
    assert InboxDelivery.objects.get(pk=delivery.pk).attempts == delivery.attempts
    assert stored_counts() == counts
    assert AuditEvent.objects.count() == events
    followed = customer_service_client.get(response.url).content.decode()
    assert "Amount in euros: This field is required." in followed


def test_a_correction_that_still_cannot_be_taken_is_rolled_back(woo, customer_service_client):
    """The service processes the delivery in a savepoint: still waiting (a shop that
    does not sell on invoice sent no identity code), nothing of the attempt stays."""
    delivery = _in_dollars(woo)
    before, counts, events = _state(delivery), stored_counts(), AuditEvent.objects.count()

    response = customer_service_client.post(
        reverse("intake:delivery_correct", args=[delivery.public_id]),
        {"correct-euro_total": "200.00", "correct-identity_code": random_identity_code()},
    )

    assert response.status_code == 302
    assert (_state(delivery), stored_counts()) == (before, counts)
    assert AuditEvent.objects.count() == events


def test_an_identity_code_given_never_shows_in_the_refusal(woo, customer_service_client):
    code = "010190-900X"  # a wrong check character
    delivery = _in_dollars(woo)
    before, counts = _state(delivery), stored_counts()

    response = customer_service_client.post(
        reverse("intake:delivery_correct", args=[delivery.public_id]),
        {"correct-euro_total": "200.00", "correct-identity_code": code},
        follow=True,
    )

    page = response.content.decode()
    assert "still cannot be taken" in page
    assert code not in page
    assert (_state(delivery), stored_counts()) == (before, counts)


def test_a_doubtful_match_is_attached_to_the_customer_staff_chose(woo, customer_service_client):
    customer = make_customer(
        surname="Virtanen", first_names="Aino", email="helena.hietala@example.fi"
    )
    delivery = _deliver(woo)
    assert (delivery.reason, delivery.customer) == ("buyer_mismatch", customer)
    page = customer_service_client.get(reverse("intake:delivery", args=[delivery.public_id]))
    assert reverse("customers:detail", args=[customer.customer_number]) in page.content.decode()
    assert AuditEvent.objects.filter(action=Action.VIEW, customer=customer).count() == 1

    response = customer_service_client.post(
        reverse("intake:delivery_attach", args=[delivery.public_id]),
        {"attach-customer_number": customer.customer_number},
    )

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DONE
    assert delivery.order is not None and delivery.order.customer == customer
    assert delivery.resolution == f"attached to customer {customer.customer_number}"
    assert Customer.objects.count() == 1
    [event] = _updates()
    assert event.customer == customer and event.actor_user == response.wsgi_request.user


def test_an_erased_customer_cannot_be_chosen(woo, customer_service_client):
    customer = make_customer(surname="Virtanen", email="helena.hietala@example.fi")
    delivery = _deliver(woo)
    Customer.objects.filter(pk=customer.pk).update(status=Status.ANONYMISED)
    before, counts = _state(delivery), stored_counts()

    response = customer_service_client.post(
        reverse("intake:delivery_attach", args=[delivery.public_id]),
        {"attach-customer_number": customer.customer_number},
        follow=True,
    )

    assert "This customer has been erased" in response.content.decode()
    assert (_state(delivery), stored_counts(), _updates()) == (before, counts, [])


def test_discarding_records_the_reason(woo, customer_service_client):
    delivery = _in_dollars(woo)

    response = customer_service_client.post(
        reverse("intake:delivery_discard", args=[delivery.public_id]),
        {"discard-reason": "Testitilaus kaupan ylläpitäjältä"},
    )

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DISCARDED
    assert delivery.resolution == "Testitilaus kaupan ylläpitäjältä"
    assert delivery.resolved_by == response.wsgi_request.user
    assert Order.objects.count() == 0
    [event] = _updates()
    assert event.reason == "Testitilaus kaupan ylläpitäjältä"
    assert event.changed_fields == ["resolution", "resolved_by", "state"]
    assert attention.attention_count() == 0


def test_discarding_without_a_reason_is_refused_and_changes_nothing(woo, customer_service_client):
    delivery = _in_dollars(woo)
    before, events = _state(delivery), AuditEvent.objects.count()

    response = customer_service_client.post(
        reverse("intake:delivery_discard", args=[delivery.public_id]),
        {"discard-reason": "  "},
        follow=True,
    )

    assert "Why it is discarded: This field is required." in response.content.decode()
    assert _state(delivery) == before
    # The page shown after the refusal is a view of its own; nothing else was written.
    assert AuditEvent.objects.exclude(action=Action.VIEW).count() == events


def test_a_delivery_handled_already_cannot_be_handled_again(woo, customer_service_client):
    delivery = _in_dollars(woo)
    discard = reverse("intake:delivery_discard", args=[delivery.public_id])
    customer_service_client.post(discard, {"discard-reason": "Kaksoiskappale"})
    before, events = _state(delivery), AuditEvent.objects.count()

    response = customer_service_client.post(
        reverse("intake:delivery_correct", args=[delivery.public_id]),
        {"correct-euro_total": "200.00"},
        follow=True,
    )

    assert "no longer waits for a person" in response.content.decode()
    assert _state(delivery) == before and Order.objects.count() == 0
    assert AuditEvent.objects.exclude(action=Action.VIEW).count() == events


@pytest.mark.parametrize("role", [Role.MARKETING, Role.PRIVACY_OFFICER, Role.AUDITOR])
def test_other_roles_are_refused_and_nothing_changes(woo, client_as, role):
    delivery = _in_dollars(woo)
    client = client_as(role)
    before, counts = _state(delivery), stored_counts()

    responses = [
        client.get(LIST),
        client.get(reverse("intake:delivery", args=[delivery.public_id])),
        client.post(
            reverse("intake:delivery_correct", args=[delivery.public_id]),
            {"correct-euro_total": "200.00"},
        ),
        client.post(
            reverse("intake:delivery_discard", args=[delivery.public_id]),
            {"discard-reason": "Ei kuulu minulle"},
        ),
    ]

    assert [response.status_code for response in responses] == [403] * 4
    assert (_state(delivery), stored_counts(), _updates()) == (before, counts, [])
    assert not AuditEvent.objects.filter(action=Action.VIEW, object_id=str(delivery.pk)).exists()
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 4


def test_the_start_page_counts_what_waits(woo, client_as):
    _in_dollars(woo)
    _deliver(woo, currency="SEK", id=728, number="728")

    page = client_as(Role.CUSTOMER_SERVICE).get(reverse("home"))
    marketing = client_as(Role.MARKETING).get(reverse("home"))

    assert page.context["page"].deliveries_needing_attention == 2
    assert "2</strong> deliveries need attention" in page.content.decode()
    assert 'id="start-deliveries"' in page.content.decode()
    assert marketing.context["page"].deliveries_needing_attention is None
    # Marketing has neither the start page's figure nor the menu's link to the list.
    assert LIST not in marketing.content.decode()


def test_the_start_page_says_nothing_when_none_waits(customer_service_client):
    response = customer_service_client.get(reverse("home"))

    assert response.context["page"].deliveries_needing_attention == 0
    assert 'id="start-deliveries"' not in response.content.decode()
    # The menu still leads to the list.
    assert response.content.decode().count(LIST) == 1


# The daily reminder ------------------------------------------------------------------


def test_customer_service_is_reminded_once_a_day_in_finnish(woo):
    service = make_staff(Role.CUSTOMER_SERVICE)
    make_staff(Role.MARKETING)
    _in_dollars(woo)
    later_today = timezone.localtime().replace(hour=23, minute=59)

    call_command("intake", "remind")
    attention.attention_remind(now=later_today)

    [message] = mail.outbox
    assert message.to == [service.email]
    with translation.override("fi"):
        subject = gettext("Web shop orders waiting for a person: %(count)d") % {"count": 1}
        first_line = ngettext(
            "%(count)s order from the web shops waits for a person.",
            "%(count)s orders from the web shops wait for a person.",
            1,
        ) % {"count": 1}
    assert message.subject == subject
    assert message.body.startswith(first_line)
    assert settings.PUBLIC_URL + LIST in message.body
    reminders = AuditEvent.objects.filter(object_type=attention.REMINDER_OBJECT)
    assert reminders.count() == 1


def test_the_reminder_comes_again_the_next_day(woo):
    make_staff(Role.CUSTOMER_SERVICE)
    _in_dollars(woo)
    attention.attention_remind()
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    sent = attention.attention_remind(now=tomorrow)

    # Today's reminder is not tomorrow's.
    assert sent == 1
    assert len(mail.outbox) == 2


def test_no_reminder_when_none_waits():
    make_staff(Role.CUSTOMER_SERVICE)

    call_command("intake", "remind")

    assert mail.outbox == []
    assert not AuditEvent.objects.filter(object_type=attention.REMINDER_OBJECT).exists()


def test_the_list_holds_only_the_deliveries_that_wait(woo, customer_service_client):
    waiting = _in_dollars(woo)
    taken = _deliver(woo, id=729, number="729")
    assert taken.state == DeliveryState.DONE

    response = customer_service_client.get(LIST)

    assert [row[0] for row in response.context["rows"]] == [waiting]
    assert response.context["page"].paginator.count == 1
