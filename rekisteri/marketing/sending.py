"""Sending a campaign, in the background (`marketing.tasks.send_campaign`).

1. When sending begins, the target group's recipients at that moment are written down,
   one `CampaignMessage` each (status queued).
2. Then, a batch at a time, the consents are checked again just before the batch
   leaves: a customer who withdrew, objected, banned marketing, was restricted or
   anonymised, or left the group since is skipped with the reason. The batch's skipped
   messages are recorded together, with a statement or two, before any of it leaves;
   each message sent (or failed) has its outcome saved as soon as it is known, so the
   log and the progress are current and a sender that dies resumes where it stopped.

A message whose outcome was not saved before a crash is sent again on resume: at
least once, never silently lost. That is why a sent message is not kept to be recorded
with the rest of its batch: a crash would send the whole batch again."""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable, Sequence

import phonenumbers
from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.models import ConsentEvent
from rekisteri.consents.selectors import ConsentState, Reason, derive_state
from rekisteri.customers.models import Customer
from rekisteri.marketing.composing import campaign_email, campaign_sms
from rekisteri.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignMessage,
    CampaignStatus,
    MessageStatus,
)
from rekisteri.marketing.selectors import campaign_recipients
from rekisteri.marketing.sms import SmsError, sms_backend
from rekisteri.versioning import version_bump

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
SNAPSHOT_CHUNK = 2000
SENDER = "campaign sender"
# Why a message was not sent, besides the consent reasons of consents.selectors.Reason.
NOT_IN_GROUP = "not_in_group"
NO_MOBILE = "no_mobile_number"
# What a message's outcome is: the columns `_record` saves.
OUTCOME_FIELDS = ("status", "detail", "provider_id", "sent_at")
MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def campaign_run(*, campaign_id: int) -> None:
    """Sends what is left of a queued campaign (or one that stopped half-way)."""
    campaign = campaign_begin(campaign_id=campaign_id)
    if campaign is not None:
        campaign_deliver(campaign=campaign)


def campaign_deliver(*, campaign: Campaign) -> None:
    """Sends the campaign's queued messages, a batch at a time, then marks it sent."""
    try:
        while batch := _next_batch(campaign):
            _send_batch(campaign, batch)
    except Exception:
        logger.exception("campaign %s stopped", campaign.pk)
        _end(campaign, CampaignStatus.FAILED)
        raise
    _end(campaign, CampaignStatus.SENT)


def campaign_begin(*, campaign_id: int) -> Campaign | None:
    """Marks a queued campaign as being sent, writing down its recipients the first
    time; None when there is nothing to send (sent already, or not queued)."""
    with audited_transaction():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status not in (
            CampaignStatus.QUEUED,
            CampaignStatus.SENDING,
        ):
            return None
        if campaign.started_at is None:
            _write_recipients(campaign)
            campaign.started_at = timezone.now()
        campaign.recipients_total = CampaignMessage.objects.filter(campaign=campaign).count()
        campaign.status = CampaignStatus.SENDING
        campaign.save(update_fields=["started_at", "recipients_total", "status"])
        audit_record(
            actor=Actor.system(SENDER),
            action=Action.UPDATE,
            obj=campaign,
            changed_fields=["status"],
            reason=f"sending: {campaign.recipients_total} recipients",
        )
    return campaign


def _write_recipients(campaign: Campaign) -> None:
    ids = campaign_recipients(campaign).order_by("pk").values_list("pk", flat=True)
    chunk: list[CampaignMessage] = []
    for customer_id in ids.iterator(chunk_size=SNAPSHOT_CHUNK):
        chunk.append(CampaignMessage(campaign=campaign, customer_id=customer_id))
        if len(chunk) == SNAPSHOT_CHUNK:
            CampaignMessage.objects.bulk_create(chunk, ignore_conflicts=True)
            chunk = []
    CampaignMessage.objects.bulk_create(chunk, ignore_conflicts=True)


def _next_batch(campaign: Campaign) -> list[CampaignMessage]:
    return list(
        CampaignMessage.objects.filter(campaign=campaign, status=MessageStatus.QUEUED).order_by(
            "pk"
        )[:BATCH_SIZE]
    )


def _send_batch(campaign: Campaign, batch: Sequence[CampaignMessage]) -> None:
    # The check at send time: who of this batch may be reached now.
    allowed = {
        customer.pk: customer
        for customer in campaign_recipients(campaign).filter(
            pk__in=[message.customer_id for message in batch]
        )
    }
    skipped = _skipped(campaign, batch, allowed)
    CampaignMessage.objects.bulk_update(skipped, OUTCOME_FIELDS)
    counts = {MessageStatus.SENT: 0, MessageStatus.SKIPPED: len(skipped), MessageStatus.FAILED: 0}
    connection = get_connection() if campaign.channel == CampaignChannel.EMAIL else None
    try:
        for message in batch:
            if message.status != MessageStatus.QUEUED:
                continue
            _deliver(campaign, message, allowed[message.customer_id], connection)
            counts[MessageStatus(message.status)] += 1
    finally:
        if connection is not None:
            connection.close()
        Campaign.objects.filter(pk=campaign.pk).update(
            sent_count=F("sent_count") + counts[MessageStatus.SENT],
            skipped_count=F("skipped_count") + counts[MessageStatus.SKIPPED],
            failed_count=F("failed_count") + counts[MessageStatus.FAILED],
        )


def _skipped(
    campaign: Campaign, batch: Sequence[CampaignMessage], allowed: dict[int, Customer]
) -> list[CampaignMessage]:
    """The batch's messages that are not to be sent, their outcome set (not yet saved):
    the recipient may no longer be reached, or an SMS has no mobile number to go to."""
    reasons = skip_reasons(
        campaign, [message.customer_id for message in batch if message.customer_id not in allowed]
    )
    skipped = []
    for message in batch:
        customer = allowed.get(message.customer_id)
        if customer is None:
            detail = reasons[message.customer_id]
        elif campaign.channel == CampaignChannel.SMS and not is_mobile(customer.phone):
            detail = NO_MOBILE
        else:
            continue
        _outcome(message, MessageStatus.SKIPPED, detail)
        skipped.append(message)
    return skipped


def _deliver(
    campaign: Campaign, message: CampaignMessage, customer: Customer, connection: object
) -> None:
    try:
        if campaign.channel == CampaignChannel.EMAIL:
            email = campaign_email(campaign=campaign, message=message, customer=customer)
            email.connection = connection
            email.send()
            provider_id = str(email.extra_headers["Message-ID"])
        else:
            provider_id = sms_backend().send(
                campaign_sms(campaign=campaign, message=message, customer=customer)
            )
    except (smtplib.SMTPException, OSError, SmsError) as error:
        # The kind of failure only: an SMTP answer may quote the address.
        _record(message, MessageStatus.FAILED, type(error).__name__)
        return
    _record(message, MessageStatus.SENT, "", provider_id=provider_id)


def _outcome(message: CampaignMessage, status: str, detail: str, *, provider_id: str = "") -> None:
    message.status = status
    message.detail = detail
    message.provider_id = provider_id[:200]
    message.sent_at = timezone.now() if status == MessageStatus.SENT else None


def _record(message: CampaignMessage, status: str, detail: str, *, provider_id: str = "") -> None:
    _outcome(message, status, detail, provider_id=provider_id)
    message.save(update_fields=OUTCOME_FIELDS)


def skip_reason(campaign: Campaign, customer_id: int) -> str:
    """Why a recipient written down when sending began may no longer be reached."""
    return skip_reasons(campaign, [customer_id])[customer_id]


def skip_reasons(campaign: Campaign, customer_ids: Iterable[int]) -> dict[int, str]:
    """`skip_reason` of many recipients, by customer id, with two queries."""
    ids = set(customer_ids)
    if not ids:
        return {}
    statuses = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "status"))
    events: dict[int, list[ConsentEvent]] = defaultdict(list)
    for event in ConsentEvent.objects.filter(customer_id__in=ids):
        events[event.customer_id].append(event)
    return {
        pk: _why_not(campaign, derive_state(status=statuses[pk], events=events[pk])) for pk in ids
    }


def _why_not(campaign: Campaign, consents: ConsentState) -> str:
    state = consents.channels[campaign.channel]
    refusals = (Reason.RESTRICTED, Reason.BANNED, Reason.WITHDRAWN)
    if state.reason in refusals:
        return state.reason
    if state.reason == Reason.NO_OPT_IN and not campaign.existing_customer_exception:
        return state.reason
    return NOT_IN_GROUP


def is_mobile(phone: str) -> bool:
    try:
        number = phonenumbers.parse(phone, "FI")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in MOBILE_TYPES


def _end(campaign: Campaign, status: str) -> None:
    with audited_transaction():
        current = Campaign.objects.select_for_update().get(pk=campaign.pk)
        current.status = status
        current.finished_at = timezone.now()
        version_bump(current)
        current.save(update_fields=["status", "finished_at", "version"])
        audit_record(
            actor=Actor.system(SENDER),
            action=Action.UPDATE,
            obj=current,
            changed_fields=["status"],
            reason=(
                f"{status}: {current.sent_count} sent, {current.skipped_count} skipped, "
                f"{current.failed_count} failed"
            ),
        )
