"""A campaign's batch records its skipped messages together, with the reasons a single
check gives, and costs the same statements however many of its recipients are skipped;
each message that leaves has its outcome saved on its own as soon as it is known."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rekisteri.audit.models import Action, AuditEvent
from rekisteri.audit.sealing import audit_seal
from rekisteri.audit.selectors import audit_chain_verify
from rekisteri.audit.services import Actor
from rekisteri.consents import services as consents
from rekisteri.consents.models import Source
from rekisteri.customers.models import Customer, Status
from rekisteri.marketing import services
from rekisteri.marketing.models import Campaign, CampaignMessage, CampaignStatus
from rekisteri.marketing.sending import campaign_begin, campaign_deliver, skip_reason
from rekisteri.marketing.services import CampaignInput
from rekisteri.testing.factories import make_customer

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def begun_campaign(customers: list[Customer]) -> Campaign:
    """An email campaign to everyone opted in, its recipients written down."""
    group = services.target_group_save(
        actor=SYSTEM, data=services.TargetGroupInput(name="Sähköpostilista", channel="email")
    )
    draft = services.campaign_save(
        actor=SYSTEM,
        data=CampaignInput(
            name="Kevätale", channel="email", target_group=group, subject="Tarjous", body="Hei!"
        ),
    )
    services.campaign_send(actor=SYSTEM, campaign=draft, version=draft.version)
    begun = campaign_begin(campaign_id=draft.pk)
    assert begun is not None
    assert begun.recipients_total == len(customers)
    return begun


def opted_in(count: int) -> list[Customer]:
    customers = [make_customer() for _ in range(count)]
    for customer in customers:
        consents.consent_grant(
            actor=SYSTEM, customer=customer, channel="email", source=Source.STAFF
        )
    return customers


def outcomes(campaign: Campaign) -> dict[int, tuple[str, str, bool]]:
    return {
        customer_id: (status, detail, sent_at is not None)
        for customer_id, status, detail, sent_at in CampaignMessage.objects.filter(
            campaign=campaign
        ).values_list("customer_id", "status", "detail", "sent_at")
    }


def test_each_skipped_recipient_is_recorded_with_the_reason_a_single_check_gives():
    sent, withdrawn, banned, restricted, left = opted_in(5)
    campaign = begun_campaign([sent, withdrawn, banned, restricted, left])
    consents.consent_withdraw(
        actor=SYSTEM, customer=withdrawn, channel="email", source=Source.UNSUBSCRIBE_LINK
    )
    consents.marketing_ban(actor=SYSTEM, customer=banned, source=Source.PHONE_CALL)
    Customer.objects.filter(pk=restricted.pk).update(status=Status.RESTRICTED)
    Customer.objects.filter(pk=left.pk).update(email="")
    singles = {customer.pk: skip_reason(campaign, customer.pk) for customer in (withdrawn, banned)}

    campaign_deliver(campaign=campaign)

    assert outcomes(campaign) == {
        sent.pk: ("sent", "", True),
        withdrawn.pk: ("skipped", "withdrawn", False),
        banned.pk: ("skipped", "banned", False),
        restricted.pk: ("skipped", "restricted", False),
        left.pk: ("skipped", "not_in_group", False),
    }
    assert singles == {withdrawn.pk: "withdrawn", banned.pk: "banned"}
    assert [message.to for message in mail.outbox] == [[sent.email]]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sent_count, campaign.skipped_count) == (
        CampaignStatus.SENT,
        1,
        4,
    )
    events = AuditEvent.objects.filter(object_type="marketing.campaign", object_id=campaign.pk)
    assert list(events.order_by("pk").values_list("action", "reason"))[-2:] == [
        (Action.UPDATE, "sending: 5 recipients"),
        (Action.UPDATE, "sent: 1 sent, 4 skipped, 0 failed"),
    ]
    audit_seal()
    assert audit_chain_verify().is_intact


def delivering_queries(*, recipients: int, withdrawn: int) -> int:
    """The statements sending a campaign takes when `withdrawn` of its `recipients`
    withdraw their consent after sending began."""
    mail.outbox.clear()
    customers = opted_in(recipients)
    campaign = begun_campaign(customers)
    for customer in customers[:withdrawn]:
        consents.consent_withdraw(
            actor=SYSTEM, customer=customer, channel="email", source=Source.UNSUBSCRIBE_LINK
        )
    with CaptureQueriesContext(connection) as captured:
        campaign_deliver(campaign=campaign)
    campaign.refresh_from_db()
    assert (campaign.sent_count, campaign.skipped_count) == (recipients - withdrawn, withdrawn)
    assert len(mail.outbox) == recipients - withdrawn
    # Done with this campaign: the next one's group is everyone opted in again.
    for customer in customers[withdrawn:]:
        consents.consent_withdraw(
            actor=SYSTEM, customer=customer, channel="email", source=Source.STAFF
        )
    return len(captured)


def test_twenty_skipped_recipients_cost_what_five_do():
    five = delivering_queries(recipients=6, withdrawn=5)
    twenty = delivering_queries(recipients=21, withdrawn=20)

    assert twenty == five


def test_each_sent_message_has_its_outcome_saved_on_its_own():
    """At least once, never twice more than needed: a sender that dies resumes after
    the last message whose outcome was saved."""
    five = delivering_queries(recipients=6, withdrawn=1)
    twenty = delivering_queries(recipients=21, withdrawn=1)

    assert twenty - five == 15
