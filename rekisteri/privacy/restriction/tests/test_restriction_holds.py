"""Restriction of processing (GDPR art. 18) over a customer's whole restriction: while
restricted their data is only stored. A staff edit, a staff order, a change of an
order's status and a web shop's order all wait for the privacy officer, who is told;
the privacy officer applies one on a ground of art. 18(2) and rejects another; lifting
the restriction tells the person first (art. 18(3)) and lets the shop's order through."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from rekisteri.accounts.models import User
from rekisteri.accounts.roles import Role
from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.services import Actor
from rekisteri.audit.subject_keys import personal_text_decrypt
from rekisteri.customers.models import (
    Customer,
    HeldChange,
    HeldChangeKind,
    HeldChangeState,
    Status,
)
from rekisteri.customers.restriction import ChangeHeld, change_hold, held_changes_waiting
from rekisteri.customers.services import customer_input_of, customer_update
from rekisteri.intake.inbox import Reason, inbox_drain
from rekisteri.intake.models import DeliveryState, InboxDelivery
from rekisteri.intake.services import integration_create
from rekisteri.orders.models import Order, OrderStatus, Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.privacy.erasure import services as erasure
from rekisteri.testing.factories import make_customer
from rekisteri.testing.order_form import order_post
from rekisteri.testing.shops import post_woocommerce, processed, shop, woocommerce_json
from rekisteri.testing.shops import woocommerce_order as shop_order_data

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
REASON = "Asiakas kiistää tietojen paikkansapitävyyden"
SHOP_EMAIL = "helena.hietala@example.fi"


@pytest.fixture(autouse=True)
def erasure_log(settings, tmp_path):
    settings.REKISTERI_ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    settings.REKISTERI_REPLAY_LOG = tmp_path / "replay-log.jsonl"


@pytest.fixture
def products(db):
    return [Product.objects.create(sku="HYL-120", name="Hylly", unit_price=Decimal("89.90"))]


def edit_post(customer: Customer, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
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


def officer_emails() -> list[str]:
    return list(
        User.objects.filter(groups__name=Role.PRIVACY_OFFICER).values_list("email", flat=True)
    )


def held_url(held: HeldChange) -> str:
    return reverse("privacy:held_change", args=[held.public_id])


def reasons_of(obj: Model, customer: Customer) -> list[tuple[str, str | None]]:
    events = AuditEvent.objects.filter(
        customer=customer, object_id=str(obj.pk), object_type=obj._meta.label_lower
    ).order_by("id")
    return [(event.action, personal_text_decrypt(event)) for event in events]


def test_a_restricted_customers_changes_and_orders_wait_for_the_privacy_officer(
    privacy_officer_client, customer_service_client, client, products
):
    customer = make_customer(email=SHOP_EMAIL, surname="Hietala", first_names="Helena")
    earlier = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="prepaid",
        lines=[LineInput("HYL-120", 1)],
    )
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    customer.refresh_from_db()
    customer_row = Customer.objects.values().get(pk=customer.pk)
    orders_before = list(Order.objects.values())
    mail.outbox.clear()

    # A staff edit, a staff order and a change of an order's status: none is made.
    edited = customer_service_client.post(
        reverse("customers:edit", args=[customer.customer_number]),
        edit_post(customer, phone="040 765 4321"),
    )
    ordered = customer_service_client.post(
        reverse("orders:create", args=[customer.customer_number]), order_post((("HYL-120", "3"),))
    )
    moved = customer_service_client.post(
        reverse("orders:status", args=[earlier.order_number]),
        {"status": OrderStatus.CONFIRMED, "version": earlier.version},
    )

    detail = reverse("customers:detail", args=[customer.customer_number])
    assert (edited.status_code, edited.url) == (302, detail)
    assert (ordered.status_code, ordered.url) == (302, detail)
    assert moved.status_code == 302
    assert Customer.objects.values().get(pk=customer.pk) == customer_row
    assert list(Order.objects.values()) == orders_before
    held = list(HeldChange.objects.order_by("pk"))
    assert [(h.kind, h.changed_fields, h.state) for h in held] == [
        (HeldChangeKind.CUSTOMER_UPDATE, ["phone"], HeldChangeState.WAITING),
        (
            HeldChangeKind.ORDER_CREATE,
            ["lines", "channel", "payment_method", "delivery_address", "status"],
            HeldChangeState.WAITING,
        ),
        (HeldChangeKind.ORDER_STATUS, ["status"], HeldChangeState.WAITING),
    ]
    staff = User.objects.filter(pk__in=[h.requested_by_id for h in held])
    assert [user.groups.get().name for user in staff] == [Role.CUSTOMER_SERVICE]
    assert held[2].order == earlier
    assert reasons_of(held[0], customer)[0] == (
        Action.CREATE,
        "held while the processing is restricted (art. 18): customer_update",
    )
    # The privacy officers are told, by customer number only.
    assert len(mail.outbox) == 3
    assert all(message.to == officer_emails() for message in mail.outbox)
    assert str(customer.customer_number) in mail.outbox[0].subject
    assert "+358407654321" not in mail.outbox[0].body
    assert reverse("privacy:held_changes") in mail.outbox[0].body

    # A web shop's order waits in the inbox's list, and is made into no order.
    integration, secret = shop("woocommerce")
    delivery = processed(
        post_woocommerce(
            client, integration, secret, woocommerce_json(shop_order_data()), topic="order.created"
        )
    )
    assert (delivery.state, delivery.reason, delivery.customer) == (
        DeliveryState.ATTENTION,
        Reason.RESTRICTED,
        customer,
    )
    assert list(Order.objects.values()) == orders_before
    home = privacy_officer_client.get(reverse("home")).content.decode()
    assert "4</strong> changes wait for your decision" in home

    # The privacy officer sees what was asked (an audited read) ...
    pages = [privacy_officer_client.get(held_url(change)) for change in held]
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert "+358407654321" in pages[0].content.decode()
    assert "3 × HYL-120" in pages[1].content.decode()
    assert "New status: confirmed" in pages[2].content.decode()
    assert (
        AuditEvent.objects.filter(
            action=Action.VIEW, object_type="customers.heldchange", customer=customer
        ).count()
        == 3
    )
    # ... applies the edit, with the person's consent ...
    applied = privacy_officer_client.post(
        held_url(held[0]),
        {
            "decision": "apply",
            "ground": "consent",
            "reason": "Asiakas antoi suostumuksen puhelimessa",
        },
    )
    assert applied.status_code == 302
    assert Customer.objects.get(pk=customer.pk).phone == "+358407654321"
    assert Customer.objects.get(pk=customer.pk).status == Status.RESTRICTED
    held[0].refresh_from_db()
    assert (held[0].state, held[0].ground, held[0].payload_encrypted) == (
        HeldChangeState.APPLIED,
        "consent",
        "",
    )
    assert str(reasons_of(held[0], customer)[-1][1]).startswith(
        "held change applied (art. 18(2): consent): Asiakas antoi suostumuksen puhelimessa; "
        "asked by staff"
    )
    # ... rejects the order ...
    rejected = privacy_officer_client.post(
        held_url(held[1]),
        {"decision": "reject", "reason": "Tilausta ei käsitellä rajoituksen aikana"},
    )
    assert rejected.status_code == 302
    held[1].refresh_from_db()
    assert held[1].state == HeldChangeState.REJECTED
    assert list(Order.objects.values()) == orders_before
    # ... and cannot apply the status change without a ground of art. 18(2).
    audit_before = AuditEvent.objects.exclude(action=Action.VIEW).count()
    refused = privacy_officer_client.post(
        held_url(held[2]), {"decision": "apply", "reason": "Tilaus vahvistetaan nyt"}
    )
    assert refused.status_code == 400
    assert "choose the ground of GDPR art. 18(2)" in refused.context["form"].errors["ground"][0]
    held[2].refresh_from_db()
    assert held[2].state == HeldChangeState.WAITING
    assert Order.objects.get(pk=earlier.pk).status == OrderStatus.RECEIVED
    assert AuditEvent.objects.exclude(action=Action.VIEW).count() == audit_before

    # Lifting tells the person first; the shop's order then becomes an order.
    mail.outbox.clear()
    lifted = privacy_officer_client.post(
        reverse("privacy:restriction_lift", args=[customer.customer_number]),
        {"reason": "Tietojen oikeellisuus tarkistettu"},
    )
    assert lifted.status_code == 302
    assert [message.to for message in mail.outbox] == [[SHOP_EMAIL]]
    assert settings.BUSINESS_NAME in mail.outbox[0].subject
    assert Customer.objects.get(pk=customer.pk).status == Status.ACTIVE
    status_events = AuditEvent.objects.filter(customer=customer, changed_fields=["status"])
    last_status_event = status_events.order_by("id").last()
    assert last_status_event is not None
    assert personal_text_decrypt(last_status_event) == (
        "restriction lifted: Tietojen oikeellisuus tarkistettu; the person was told first: "
        "by email to the address on record; 1 shop orders back to the inbox"
    )
    inbox_drain()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DONE
    assert delivery.order is not None and delivery.order.customer == customer
    # The status change still waits; now it is applied as the restriction is lifted.
    privacy_officer_client.post(
        held_url(held[2]), {"decision": "apply", "reason": "Rajoitus on päättynyt"}
    )
    held[2].refresh_from_db()
    assert (held[2].state, held[2].ground) == (HeldChangeState.APPLIED, "lifted")
    assert Order.objects.get(pk=earlier.pk).status == OrderStatus.CONFIRMED


def test_the_privacy_officer_takes_a_shop_order_for_a_legal_claim(privacy_officer_client, client):
    customer = make_customer(email=SHOP_EMAIL, surname="Hietala", first_names="Helena")
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    integration, secret = shop("woocommerce")
    delivery = processed(
        post_woocommerce(
            client, integration, secret, woocommerce_json(shop_order_data()), topic="order.created"
        )
    )
    assert delivery.reason == Reason.RESTRICTED

    response = privacy_officer_client.post(
        reverse("privacy:restricted_delivery_accept", args=[delivery.public_id]),
        {"ground": "legal_claims", "reason": "Maksettu tilaus toimitetaan riidan välttämiseksi"},
    )

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DONE
    assert Order.objects.get().customer == customer
    assert Customer.objects.get(pk=customer.pk).status == Status.RESTRICTED
    assert reasons_of(delivery, customer)[-1] == (
        Action.UPDATE,
        "shop order taken while restricted (art. 18(2): legal_claims): "
        "Maksettu tilaus toimitetaan riidan välttämiseksi",
    )


def test_customer_service_cannot_apply_a_held_change_or_take_a_restricted_order(
    customer_service_client, client
):
    customer = make_customer(email=SHOP_EMAIL, surname="Hietala", first_names="Helena")
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    with pytest.raises(ChangeHeld) as waiting:
        customer_update(
            actor=SYSTEM,
            customer=customer,
            expected_version=customer.version + 1,
            data=replace(customer_input_of(customer), notes="Soittaa iltaisin"),
        )
    held = waiting.value.held
    integration, secret = shop("woocommerce")
    delivery = processed(
        post_woocommerce(
            client, integration, secret, woocommerce_json(shop_order_data()), topic="order.created"
        )
    )
    customer_row = Customer.objects.values().get(pk=customer.pk)
    denied_before = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()

    applied = customer_service_client.post(
        held_url(held), {"decision": "apply", "ground": "consent", "reason": REASON}
    )
    taken = customer_service_client.post(
        reverse("privacy:restricted_delivery_accept", args=[delivery.public_id]),
        {"ground": "consent", "reason": REASON},
    )
    # The inbox's own page does not take it either: the processing is restricted.
    corrected = customer_service_client.post(
        reverse("intake:delivery_correct", args=[delivery.public_id]), {}
    )

    assert (applied.status_code, taken.status_code) == (403, 403)
    assert corrected.status_code == 302  # back to the delivery's page, with the refusal
    held.refresh_from_db()
    assert held.state == HeldChangeState.WAITING
    assert Customer.objects.values().get(pk=customer.pk) == customer_row
    assert not Order.objects.exists()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.reason) == (DeliveryState.ATTENTION, Reason.RESTRICTED)
    denied = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()
    assert denied == denied_before + 2


def test_lifting_is_refused_when_the_email_to_the_person_cannot_be_sent(
    privacy_officer_client, monkeypatch
):
    customer = make_customer(preferred_language="sv")
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)

    def unreachable(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr("rekisteri.privacy.restriction.sending.send_mail", unreachable)
    events_before = AuditEvent.objects.count()

    response = privacy_officer_client.post(
        reverse("privacy:restriction_lift", args=[customer.customer_number]),
        {"reason": "Tietojen oikeellisuus tarkistettu"},
    )

    assert response.status_code == 400
    assert "could not be sent" in response.context["form"].non_field_errors()[0]
    assert Customer.objects.get(pk=customer.pk).status == Status.RESTRICTED
    assert AuditEvent.objects.count() == events_before


def test_the_lift_email_is_in_the_persons_language():
    customer = make_customer(preferred_language="sv")
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    mail.outbox.clear()

    erasure.customer_restriction_lift(
        actor=SYSTEM, customer=customer, reason="Tietojen oikeellisuus tarkistettu"
    )

    assert [message.to for message in mail.outbox] == [[customer.email]]
    assert "?kieli=sv" in mail.outbox[0].body


def test_without_an_email_the_privacy_officer_says_how_the_person_was_told(
    privacy_officer_client,
):
    customer = make_customer(email="")
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    url = reverse("privacy:restriction_lift", args=[customer.customer_number])
    assert "How the customer was told" in privacy_officer_client.get(url).content.decode()
    mail.outbox.clear()

    missing = privacy_officer_client.post(url, {"reason": "Tietojen oikeellisuus tarkistettu"})

    assert missing.status_code == 400
    assert "told_how" in missing.context["form"].errors
    assert Customer.objects.get(pk=customer.pk).status == Status.RESTRICTED

    told = privacy_officer_client.post(
        url,
        {
            "reason": "Tietojen oikeellisuus tarkistettu",
            "told_how": "Kirjeellä 7.12.2026 kotiosoitteeseen",
        },
    )

    assert told.status_code == 302
    assert Customer.objects.get(pk=customer.pk).status == Status.ACTIVE
    assert mail.outbox == []
    event = (
        AuditEvent.objects.filter(customer=customer, changed_fields=["status"])
        .order_by("id")
        .last()
    )
    assert event is not None
    assert personal_text_decrypt(event) == (
        "restriction lifted: Tietojen oikeellisuus tarkistettu; the person was told first: "
        "Kirjeellä 7.12.2026 kotiosoitteeseen"
    )


def test_an_erasure_clears_what_was_asked_and_keeps_that_it_was():
    customer = make_customer()
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    change_hold(
        actor=SYSTEM,
        customer=customer,
        kind=HeldChangeKind.CUSTOMER_UPDATE,
        payload={"data": {"phone": "+358401112222"}},
        changed_fields=["phone"],
    )

    with translation.override("en"):
        plan = erasure.erasure_plan(customer)
    erasure.customer_erase(actor=SYSTEM, customer=customer, reason=REASON)

    assert ("Changes asked for while the processing was restricted", 1) in [
        (item.category, item.count) for item in plan.erased
    ]
    held = HeldChange.objects.get()
    assert (held.payload_encrypted, held.changed_fields) == ("", ["phone"])
    assert not held_changes_waiting().exists()
    with pytest.raises(ValidationError):
        erasure.customer_restriction_lift(actor=SYSTEM, customer=customer, reason=REASON)


def test_an_api_order_of_a_restricted_customer_waits_and_the_client_is_told_nothing_of_it():
    """The orders API's receipt says only that the order waits for a person: that the
    customer's processing is restricted is not the integration's to know."""
    customer = make_customer(email=SHOP_EMAIL, surname="Hietala", first_names="Helena")
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    created = integration_create(actor=SYSTEM, kind="generic", name="Verkkokauppa")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {created.api_key}")
    body = {
        "external_id": "WEB-1001",
        "customer": {"surname": "Hietala", "first_names": "Helena", "email": SHOP_EMAIL},
        "lines": [{"sku": "HYL-120", "name": "Hylly", "unit_price": "89.90", "quantity": 1}],
        "payment_method": "prepaid",
        "placed_at": "2026-11-20T10:00:00+02:00",
    }

    response = api.post(
        "/api/v1/orders", body, content_type="application/json", headers={"Prefer": "wait=5"}
    )

    assert response.status_code == 202
    receipt = response.json()
    assert (receipt["state"], receipt["reason"], receipt["detail"]) == (
        "attention",
        "The order waits for a person.",
        "",
    )
    delivery = InboxDelivery.objects.get(public_id=receipt["receipt"])
    assert (delivery.reason, delivery.customer) == (Reason.RESTRICTED, customer)
    assert not Order.objects.exists()


def test_the_privacy_officer_reads_the_fields_by_their_names_not_their_codes(
    privacy_officer_client, products
):
    customer = make_customer(email=SHOP_EMAIL, surname="Hietala", first_names="Helena")
    erasure.customer_restrict(actor=SYSTEM, customer=customer, reason=REASON)
    edit = change_hold(
        actor=SYSTEM,
        customer=customer,
        kind=HeldChangeKind.CUSTOMER_UPDATE,
        payload={
            "data": {"phone": "+358407654321", "street_address": "Rantatie 5"},
            "identity_code": "",
            "remove_identity_code": False,
        },
        changed_fields=["phone", "street_address"],
    ).held
    change_hold(
        actor=SYSTEM,
        customer=customer,
        kind=HeldChangeKind.ORDER_CREATE,
        payload={"lines": [{"quantity": 1, "sku": "HYL-120", "name": "Hylly"}]},
        changed_fields=["lines", "channel", "payment_method", "delivery_address", "status"],
    )
    events = AuditEvent.objects.count()

    listed = {
        language: privacy_officer_client.get(
            reverse("privacy:held_changes"), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        for language in ("en", "fi")
    }
    shown = {
        language: privacy_officer_client.get(
            held_url(edit), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        for language in ("en", "fi")
    }

    assert "<td>phone, street address</td>" in listed["en"]
    assert "<td>lines, channel, payment method, delivery address, status</td>" in listed["en"]
    assert "<td>puhelin, katuosoite</td>" in listed["fi"]
    assert "<td>rivit, kanava, maksutapa, toimitusosoite, tila</td>" in listed["fi"]
    assert "<dd>phone, street address</dd>" in shown["en"]
    assert '<dt>Street address</dt><dd class="prewrap">Rantatie 5</dd>' in shown["en"]
    assert '<dt>Katuosoite</dt><dd class="prewrap">Rantatie 5</dd>' in shown["fi"]
    assert '<dt>Puhelin</dt><dd class="prewrap">+358407654321</dd>' in shown["fi"]
    for page in (*listed.values(), *shown.values()):
        assert "street_address" not in page and "payment_method" not in page
    # The two reads of what was asked are audited; the list reads nothing of it.
    assert AuditEvent.objects.count() == events + 2
    assert set(HeldChange.objects.values_list("state", flat=True)) == {HeldChangeState.WAITING}
