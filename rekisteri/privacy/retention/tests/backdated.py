"""Test data dated where the retention policies look: a time in Helsinki, and a
customer, an order, consent events, a credit check, a campaign and a legal hold as of
a given moment."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from rekisteri.audit.services import Actor
from rekisteri.consents.models import ConsentEvent
from rekisteri.consents.services import consent_grant, consent_withdraw, marketing_ban
from rekisteri.credit.models import CreditCheck, Decision
from rekisteri.credit.providers import Answer, CreditReport
from rekisteri.credit.services import CreditOutcome, credit_check_record
from rekisteri.customers.models import Customer
from rekisteri.marketing.models import Campaign, CampaignMessage
from rekisteri.marketing.services import (
    CampaignInput,
    TargetGroupInput,
    campaign_save,
    target_group_save,
)
from rekisteri.orders.models import Order, Product
from rekisteri.orders.services import LineInput, order_create
from rekisteri.privacy.models import LegalHold
from rekisteri.testing.factories import make_customer

HELSINKI = ZoneInfo("Europe/Helsinki")
# Documentation addresses (RFC 5737) and a made-up browser: evidence, not anyone's.
IP_ADDRESS = "192.0.2.44"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Testiselain/1.0"


def at(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=HELSINKI)


def last_minute_of(day: datetime.date) -> datetime.datetime:
    return at(day, 23, 59)


def first_moment_of(day: datetime.date) -> datetime.datetime:
    return at(day, 0, 0)


def customer_active_until(moment: datetime.datetime) -> Customer:
    customer = make_customer()
    Customer.objects.filter(pk=customer.pk).update(created_at=moment, last_activity_at=moment)
    customer.refresh_from_db()
    return customer


def order_placed(customer: Customer, moment: datetime.datetime) -> Order:
    Product.objects.get_or_create(
        sku="HYL-120", defaults={"name": "Varastohylly", "unit_price": Decimal("89.90")}
    )
    return order_create(
        actor=Actor.system("test"),
        customer=customer,
        channel="phone",
        payment_method="invoice",
        lines=[LineInput("HYL-120", 2)],
        placed_at=moment,
    )


def backdate(event: ConsentEvent, moment: datetime.datetime) -> ConsentEvent:
    ConsentEvent.objects.filter(pk=event.pk).update(occurred_at=moment)
    event.refresh_from_db()
    return event


def grant(customer: Customer, moment: datetime.datetime, channel: str = "email") -> ConsentEvent:
    event = consent_grant(
        actor=Actor.system("test"),
        customer=customer,
        channel=channel,
        source="web_shop_checkout",
        ip_address=IP_ADDRESS,
        user_agent=USER_AGENT,
    )
    return backdate(event, moment)


def withdraw(customer: Customer, moment: datetime.datetime, channel: str = "email") -> ConsentEvent:
    event = consent_withdraw(
        actor=Actor.system("test"),
        customer=customer,
        channel=channel,
        source="unsubscribe_link",
        ip_address=IP_ADDRESS,
        user_agent=USER_AGENT,
    )
    return backdate(event, moment)


def ban(customer: Customer, moment: datetime.datetime) -> ConsentEvent:
    event = marketing_ban(
        actor=Actor.system("test"),
        customer=customer,
        source="privacy_portal",
        ip_address=IP_ADDRESS,
        user_agent=USER_AGENT,
    )
    return backdate(event, moment)


def credit_checked(order: Order, moment: datetime.datetime) -> CreditCheck:
    report = CreditReport(
        answer=Answer.NO_DEFAULTS,
        default_count=0,
        classification_code="A2",
        provider_reference="AT-2019-55501",
    )
    outcome = CreditOutcome(Decision.APPROVED, "approved", "asiakastieto", moment, report)
    return credit_check_record(actor=Actor.system("test"), order=order, outcome=outcome)


def campaign_finished(moment: datetime.datetime | None, status: str = "sent") -> Campaign:
    group = target_group_save(
        actor=Actor.system("test"), data=TargetGroupInput(name="Sähköpostilista", channel="email")
    )
    campaign = campaign_save(
        actor=Actor.system("test"),
        data=CampaignInput(
            name="Syysale", channel="email", target_group=group, subject="Tarjous", body="Hei!"
        ),
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=status, finished_at=moment)
    return campaign


def message_to(customer: Customer, campaign: Campaign) -> CampaignMessage:
    return CampaignMessage.objects.create(
        campaign=campaign, customer=customer, status="sent", sent_at=campaign.finished_at
    )


def legal_hold_on(customer: Customer) -> LegalHold:
    return LegalHold.objects.create(
        customer=customer, reason="Käräjäoikeuden asia 24/1234", placed_at=timezone.now()
    )
