"""A customer with a row in every table that holds a customer's data, for the tests of
what reads or changes all of it: erasure, retention, the customer's own copy and the
data map. One builder, so that a new table is added here once and each of those tests
then covers it.

Fake data only: Faker's fi_FI names, identity codes of the temporary 900-999 series,
example.fi addresses and documentation IP addresses (RFC 5737)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from rekisteri import fi
from rekisteri.audit.models import ActorType
from rekisteri.audit.services import Actor
from rekisteri.consents.models import ConsentEvent, EventKind, Source
from rekisteri.consents.services import consent_grant, consent_withdraw, marketing_ban
from rekisteri.credit.models import Decision
from rekisteri.credit.providers import Answer, CreditReport
from rekisteri.credit.services import CreditOutcome, credit_decision_override
from rekisteri.customers.models import Customer, HeldChange, HeldChangeKind
from rekisteri.customers.restriction import change_hold
from rekisteri.intake.services import integration_create
from rekisteri.marketing.models import Campaign, CampaignMessage, CampaignStatus, MessageStatus
from rekisteri.marketing.services import (
    CampaignInput,
    TargetGroupInput,
    campaign_save,
    target_group_save,
)
from rekisteri.orders.models import Delivery, Order, Product, Return
from rekisteri.orders.services import (
    AddressInput,
    LineInput,
    delivery_create,
    delivery_status_change,
    order_create,
    order_status_change,
    return_create,
    return_status_change,
)
from rekisteri.privacy.access.disclosures import disclosure_record
from rekisteri.privacy.models import Disclosure, LegalHold, RequestKind, SubjectRequest
from rekisteri.privacy.requests.services import subject_request_record
from rekisteri.privacy.restriction.services import held_change_reject
from rekisteri.privacy.retention.holds import legal_hold_lift, legal_hold_place
from rekisteri.testing.factories import fake, fake_email, fake_phone, make_customer
from rekisteri.testing.identity_codes import random_identity_code

SYSTEM = Actor.system("test")
IP_ADDRESS = "192.0.2.44"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
WEB_SHOP = Actor(type=ActorType.CUSTOMER, label="web shop", ip_address=IP_ADDRESS)
REQUEST_DETAILS: dict[str, str] = {
    RequestKind.ACCESS: "Pyydän kopion tiedoistani.",
    RequestKind.ERASURE: "Poistakaa kaikki tietoni.",
}


def person() -> dict[str, str]:
    """A fake person whose names cannot be mistaken for anything else in the database:
    what to look for, in every form it may be stored in."""
    surname = f"{fake.last_name()}-{fake.last_name()}"
    first_names = f"{fake.first_name()}-{fake.first_name()}"
    phone = fake_phone()
    return {
        "surname": surname,
        "first_names": first_names,
        "email": fake_email(first_names, surname),
        "phone": phone,
        "phone_national": fi.format_phone(phone),
        "phone_digits": fi.format_phone(phone).replace(" ", ""),
        "street_address": f"{fake.street_name()} {fake.building_number()} B 12",
        "identity_code": random_identity_code(),
    }


def customer_of(who: Mapping[str, str]) -> Customer:
    """The person of `person()` as a customer, their phone number in the notes."""
    return make_customer(
        surname=who["surname"],
        first_names=who["first_names"],
        email=who["email"],
        phone=who["phone"],
        street_address=who["street_address"],
        postal_code="90100",
        post_office="Oulu",
        identity_code=who["identity_code"],
        notes=f"Soita ennen toimitusta numeroon {who['phone_national']}.",
    )


def products() -> None:
    """The two products the orders are of, as the tests' `products` fixtures make them."""
    Product.objects.get_or_create(
        sku="HYL-120", defaults={"name": "Hylly 120 cm", "unit_price": Decimal("89.90")}
    )
    Product.objects.get_or_create(
        sku="KIRJA-1",
        defaults={
            "name": "Varastokirja",
            "unit_price": Decimal("24.00"),
            "vat_rate": Decimal("14.0"),
        },
    )


@dataclass
class Everything:
    """What `customer_with_everything` made."""

    customer: Customer
    orders: list[Order]  # on invoice, then prepaid when there is one
    delivery: Delivery
    return_request: Return
    consent_events: list[ConsentEvent]
    campaign_message: CampaignMessage
    subject_request: SubjectRequest
    disclosure: Disclosure
    legal_hold: LegalHold  # lifted

    @property
    def invoice_order(self) -> Order:
        return self.orders[0]

    @property
    def prepaid_order(self) -> Order:
        _invoice, prepaid = self.orders
        return prepaid


def customer_with_everything(
    customer: Customer | None = None,
    *,
    who: Mapping[str, str] | None = None,
    at: datetime.datetime | None = None,
    prepaid_order: bool = True,
    settled: bool = True,
    consent_source: str = Source.WEB_SHOP_CHECKOUT,
    consent_ended_by: str = "",
    request_kind: str = RequestKind.ERASURE,
    campaign_name: str = "Kevät",
    tracking_code: str = "JJFI64123450000012345",
) -> Everything:
    """`customer` (a new one by default) with an order on invoice (its credit check with
    the bureau's report and a person's review, a delivery, a return), a prepaid order,
    an email consent, a sent campaign's message, a subject request, a disclosure to an
    authority and a legal hold placed and lifted.

    - `who`: a `person()`, of whom the new customer is made and whose details staff
      wrote into the free text too (notes, reasons, a reference, the request), so that
      erasure has them to find. Without, the texts name nobody.
    - `at`: when the customer was last active and their orders, consents, credit check
      and campaign happened, for the retention policies (now by default).
    - `prepaid_order`: also a prepaid order from the web shop (three books).
    - `settled`: the invoice order completed and the return refunded, so that nothing
      stops an erasure; else both are as just made (the delivery is shipped either way).
    - `consent_source`: where the consent was given; at the web shop checkout (the
      default) with its evidence, the browser's address and user agent.
    - `consent_ended_by`: "" (the consent stands), `EventKind.WITHDRAWAL` (by the
      unsubscribe link, with its evidence) or `EventKind.BAN` (on the phone).
    - `request_kind`: the subject request's kind.
    - `campaign_name`, `tracking_code`: to tell two customers' data apart."""
    products()
    if customer is None:
        customer = customer_of(who) if who else make_customer()
    full_name = f"{customer.first_names} {customer.surname}"
    now = timezone.now()
    happened_at = at or now

    invoice_order = order_create(
        actor=SYSTEM,
        customer=customer,
        channel="phone",
        payment_method="invoice",
        lines=[LineInput("HYL-120", 2), LineInput("KIRJA-1", 1)],
        notes=f"{who['first_names']} toivoo toimitusta aamupäivällä" if who else "",
        placed_at=at,
        credit_outcome=CreditOutcome(
            Decision.APPROVED,
            "no_payment_defaults",
            "asiakastieto",
            happened_at,
            CreditReport(
                answer=Answer.NO_DEFAULTS,
                default_count=0,
                classification_code="A1",
                provider_reference="AT-2026-004217",
            ),
        ),
    )
    credit_decision_override(
        actor=SYSTEM,
        check=invoice_order.credit_check,
        decision=Decision.APPROVED,
        reason="Maksuhistoria tarkistettu uudelleen",
    )
    delivery = delivery_create(
        actor=SYSTEM, order=invoice_order, carrier="posti", tracking_code=tracking_code
    )
    delivery = delivery_status_change(actor=SYSTEM, delivery=delivery, status="shipped")
    return_request = return_create(
        actor=SYSTEM,
        order=invoice_order,
        quantities={invoice_order.lines.get(line_number=1).pk: 1},
        reason=(
            f"{full_name} sai väärän kokoisen hyllyn, soitti numerosta {who['phone_national']}"
            if who
            else "Väärä koko"
        ),
    )
    if settled:
        for status in ("confirmed", "shipped", "delivered", "completed"):
            invoice_order = order_status_change(actor=SYSTEM, order=invoice_order, status=status)
        return_status_change(actor=SYSTEM, return_request=return_request, status="received")
        return_request = return_status_change(
            actor=SYSTEM,
            return_request=return_request,
            status="refunded",
            refund_amount=Decimal("89.90"),
        )
    orders = [invoice_order]

    prepaid: Order | None = None
    if prepaid_order:
        prepaid = order_create(
            actor=SYSTEM,
            customer=customer,
            channel="web_shop",
            payment_method="prepaid",
            lines=[LineInput("KIRJA-1", 3)],
            delivery_address=AddressInput(
                name=full_name,
                street_address=who["street_address"],
                postal_code="90100",
                post_office="Oulu",
            )
            if who
            else None,
            notes=f"Ovikoodi 1234, soita {who['phone_digits']}" if who else "",
            placed_at=at,
        )
        if settled:
            prepaid = order_status_change(actor=SYSTEM, order=prepaid, status="shipped")
        orders.append(prepaid)

    on_the_web = consent_source == Source.WEB_SHOP_CHECKOUT
    consent_events = [
        consent_grant(
            actor=WEB_SHOP if on_the_web else SYSTEM,
            customer=customer,
            channel="email",
            source=consent_source,
            order=prepaid if on_the_web else None,
            ip_address=IP_ADDRESS if on_the_web else None,
            user_agent=USER_AGENT if on_the_web else "",
        )
    ]
    if consent_ended_by == EventKind.WITHDRAWAL:
        consent_events.append(
            consent_withdraw(
                actor=WEB_SHOP,
                customer=customer,
                channel="email",
                source=Source.UNSUBSCRIBE_LINK,
                ip_address=IP_ADDRESS,
                user_agent=USER_AGENT,
            )
        )
    elif consent_ended_by == EventKind.BAN:
        consent_events.append(
            marketing_ban(actor=SYSTEM, customer=customer, source=Source.PHONE_CALL)
        )
    elif consent_ended_by:
        raise ValueError(f"a consent is ended by a withdrawal or a ban, not {consent_ended_by!r}")

    group = target_group_save(
        actor=SYSTEM, data=TargetGroupInput(name="Sähköpostilista", channel="email")
    )
    campaign = campaign_save(
        actor=SYSTEM,
        data=CampaignInput(
            name=campaign_name,
            channel="email",
            target_group=group,
            subject=f"{campaign_name}: tarjous",
            body="Hei",
        ),
    )
    # Marked sent as the sending leaves it: sending itself is for the marketing tests.
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENT, finished_at=happened_at
    )
    campaign_message = CampaignMessage.objects.create(
        campaign=campaign, customer=customer, status=MessageStatus.SENT, sent_at=happened_at
    )

    subject_request = subject_request_record(
        actor=SYSTEM,
        kind=request_kind,
        received_via="email",
        received_at=now,
        customer=customer,
        name=full_name,
        email=customer.email,
        details=(
            f"{REQUEST_DETAILS.get(request_kind, '')} {full_name}, {who['street_address']}"
            if who
            else REQUEST_DETAILS.get(request_kind, "")
        ),
        verification_note=(
            f"Soitettu takaisin numeroon {who['phone_national']}"
            if who
            else "Soitettu takaisin rekisterissä olevaan numeroon"
        ),
    )
    disclosure = disclosure_record(
        actor=SYSTEM,
        customer=customer,
        recipient_kind="authority",
        recipient="Oulun poliisilaitos",
        legal_ground="Poliisilaki 872/2011 4 luku 3 §",
        reference=f"5500/R/1234/26, {who['surname']}" if who else f"R/{customer.customer_number}",
        categories=["name", "orders"],
    )
    legal_hold = legal_hold_lift(
        actor=SYSTEM,
        hold=legal_hold_place(
            actor=SYSTEM, customer=customer, reason="Reklamaatio käsittelyssä, viite 2026-17"
        ),
    )
    # Changes asked for while the processing was restricted: one still waits, one was
    # rejected (the restriction itself has been lifted since).
    _held_change(customer, notes="Soittaa iltaisin")
    held_change_reject(
        actor=SYSTEM,
        held=_held_change(customer, notes="Toimitus ovelle"),
        reason="Muutosta ei tehdä rajoituksen aikana",
    )

    if at is not None:
        # Each service stamps the time it ran and moves the customer's last activity.
        ConsentEvent.objects.filter(customer=customer).update(occurred_at=at)
        Customer.objects.filter(pk=customer.pk).update(created_at=at, last_activity_at=at)
        for event in consent_events:
            event.refresh_from_db()
    customer.refresh_from_db()
    return Everything(
        customer=customer,
        orders=orders,
        delivery=delivery,
        return_request=return_request,
        consent_events=consent_events,
        campaign_message=campaign_message,
        subject_request=subject_request,
        disclosure=disclosure,
        legal_hold=legal_hold,
    )


def _held_change(customer: Customer, *, notes: str) -> HeldChange:
    return change_hold(
        actor=SYSTEM,
        customer=customer,
        kind=HeldChangeKind.CUSTOMER_UPDATE,
        payload={"data": {"notes": notes}, "identity_code": "", "remove_identity_code": False},
        changed_fields=["notes"],
    ).held


def api_order(who: Mapping[str, str]) -> None:
    """The web shop sends an order of the same person through the API, and it is made at
    once."""
    shop = integration_create(actor=SYSTEM, kind="generic", name="Verkkokauppa")
    body = {
        "external_id": "WEB-7001",
        "customer": {
            "surname": who["surname"],
            "first_names": who["first_names"],
            "email": who["email"],
            "phone": who["phone"],
            "street_address": who["street_address"],
            "postal_code": "90100",
            "post_office": "Oulu",
        },
        "delivery_address": {
            "name": f"{who['first_names']} {who['surname']}",
            "street_address": who["street_address"],
            "postal_code": "90100",
            "post_office": "Oulu",
        },
        "lines": [{"sku": "HYL-120", "name": "Hylly 120 cm", "unit_price": "89.90", "quantity": 1}],
        "payment_method": "prepaid",
        "notes": f"Puhelin {who['phone_national']}",
    }
    response = Client(HTTP_AUTHORIZATION=f"Bearer {shop.api_key}").post(
        "/api/v1/orders",
        json.dumps(body),
        content_type="application/json",
        # Processed at once (RFC 7240): the order is made, and its delivery kept in the
        # inbox with the body, as the worker would leave it.
        headers={"Idempotency-Key": "b7e1c2d4-0f3a-4c55-9e21-3a1f6a2b9c10", "Prefer": "wait=5"},
    )
    assert response.status_code == 201
