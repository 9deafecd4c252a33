"""Writes of target groups, and the audit of their exports."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action, ActorType
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.models import Channel, ConsentEvent, EventKind
from rekisteri.consents.models import Source as ConsentSource
from rekisteri.consents.services import consent_withdraw
from rekisteri.customers.models import Language
from rekisteri.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignMessage,
    CampaignStatus,
    MessageStatus,
    TargetGroup,
)
from rekisteri.marketing.postal_codes import InvalidRange, normalize_ranges
from rekisteri.marketing.selectors import campaign_recipients
from rekisteri.marketing.tasks import send_campaign
from rekisteri.versioning import version_bump, version_check

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CRITERIA_FIELDS = (
    "name",
    "channel",
    "skus",
    "last_order_from",
    "last_order_to",
    "minimum_total_spent",
    "postal_code_ranges",
    "languages",
)


class ExportNotAllowed(Exception):
    """Only a post group has an address list to export."""


@dataclass(frozen=True)
class TargetGroupInput:
    name: str
    channel: str
    skus: Sequence[str] = ()
    last_order_from: datetime.date | None = None
    last_order_to: datetime.date | None = None
    minimum_total_spent: Decimal | None = None
    postal_code_ranges: Sequence[str] = ()
    languages: Sequence[str] = field(default_factory=tuple)


def target_group_build(*, data: TargetGroupInput, group: TargetGroup | None = None) -> TargetGroup:
    """The group `data` describes (a change of `group`, else a new one), validated but
    not saved: what the live count before saving counts."""
    errors: dict[str, list[StrOrPromise]] = {}
    try:
        ranges = normalize_ranges(list(data.postal_code_ranges))
    except InvalidRange as bad:
        ranges = []
        errors["postal_code_ranges"] = [
            _("%(range)s is not a postal code range such as 90100-90999.") % {"range": bad}
        ]
    if any(language not in Language.values for language in data.languages):
        errors["languages"] = [_("Choose Finnish, Swedish or English.")]
    if data.minimum_total_spent is not None and data.minimum_total_spent < 0:
        errors["minimum_total_spent"] = [_("The minimum cannot be negative.")]
    if data.last_order_from and data.last_order_to and data.last_order_from > data.last_order_to:
        errors["last_order_to"] = [_("The end date is before the start date.")]
    target = group if group is not None else TargetGroup()
    target.name = " ".join(data.name.split())
    target.channel = data.channel
    target.skus = list(dict.fromkeys(sku.strip() for sku in data.skus if sku.strip()))
    target.last_order_from = data.last_order_from
    target.last_order_to = data.last_order_to
    target.minimum_total_spent = data.minimum_total_spent
    target.postal_code_ranges = ranges
    target.languages = [language for language in Language.values if language in data.languages]
    try:
        target.full_clean(
            exclude=["created_by", "updated_by", "created_at", "updated_at"],
            validate_constraints=False,
        )
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if target.channel not in Channel.values:
        errors.setdefault("channel", [_("Choose email, SMS, post or phone.")])
    if errors:
        raise ValidationError(errors)
    return target


def target_group_save(
    *,
    actor: Actor,
    data: TargetGroupInput,
    group: TargetGroup | None = None,
    version: int | None = None,
) -> TargetGroup:
    """Creates a target group, or changes `group`, and audits it (the criteria that
    changed; no personal data is in a group). `version` is the one the editor saw:
    Conflict if someone saved the group since."""
    with audited_transaction():
        current = (
            TargetGroup.objects.select_for_update().get(pk=group.pk) if group is not None else None
        )
        if current is not None:
            version_check(current, version)
        before = {name: getattr(current, name) for name in CRITERIA_FIELDS} if current else {}
        target = target_group_build(data=data, group=current)
        now = timezone.now()
        if current is None:
            target.created_by, target.created_at = actor.user, now
        target.updated_by, target.updated_at = actor.user, now
        if current is not None:
            version_bump(target)
        target.save()
        changed = [name for name in CRITERIA_FIELDS if before.get(name) != getattr(target, name)]
        audit_record(
            actor=actor,
            action=Action.CREATE if current is None else Action.UPDATE,
            obj=target,
            changed_fields=changed,
        )
    return target


def target_group_export_record(*, actor: Actor, group: TargetGroup, rows: int) -> None:
    """Audits an export of a post group's addresses: who, which group, how many rows.
    Recorded before the first row leaves, so no export goes unrecorded."""
    if group.channel != Channel.POST:
        raise ExportNotAllowed
    with audited_transaction():
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            obj=group,
            changed_fields=["name", "street_address", "postal_code", "post_office", "country"],
            reason=f"post address list of {group.name!r}: {rows} rows",
        )


def target_group_labels_record(*, actor: Actor, group: TargetGroup, labels: int) -> None:
    """Audits the address labels of a post group: who, which group, how many labels.
    Recorded before the PDF leaves, so no labels go unrecorded."""
    if group.channel != Channel.POST:
        raise ExportNotAllowed
    with audited_transaction():
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            obj=group,
            changed_fields=["name", "street_address", "postal_code", "post_office", "country"],
            reason=f"post address labels of {group.name!r}: {labels} labels",
        )


# Campaigns ------------------------------------------------------------------------

CAMPAIGN_FIELDS = (
    "name",
    "channel",
    "target_group",
    "subject",
    "body",
    "existing_customer_exception",
)
# One text message is 160 characters; a campaign may take a few, with the opt-out line.
SMS_BODY_MAX_LENGTH = 480
SENDABLE = (CampaignStatus.DRAFT, CampaignStatus.SENT, CampaignStatus.FAILED)


@dataclass(frozen=True)
class CampaignInput:
    name: str
    channel: str
    target_group: TargetGroup | None
    body: str
    subject: str = ""
    existing_customer_exception: bool = False


def _campaign_errors(data: CampaignInput) -> dict[str, list[StrOrPromise]]:
    errors: dict[str, list[StrOrPromise]] = {}
    if data.channel not in CampaignChannel.values:
        errors["channel"] = [_("Choose email or SMS.")]
    if data.target_group is None:
        errors["target_group"] = [_("Choose the target group.")]
    elif data.target_group.channel != data.channel:
        errors["target_group"] = [_("The target group is for another channel.")]
    if data.channel == CampaignChannel.EMAIL and not data.subject.strip():
        errors["subject"] = [_("An email needs a subject.")]
    if not data.body.strip():
        errors["body"] = [_("Write the message.")]
    elif data.channel == CampaignChannel.SMS and len(data.body) > SMS_BODY_MAX_LENGTH:
        errors["body"] = [
            _("A text message can be at most %(max)d characters.") % {"max": SMS_BODY_MAX_LENGTH}
        ]
    return errors


def campaign_save(
    *,
    actor: Actor,
    data: CampaignInput,
    campaign: Campaign | None = None,
    version: int | None = None,
) -> Campaign:
    """Creates a draft campaign, or changes a draft (`version` is the one the editor
    saw: Conflict if it has changed). A campaign being sent or sent is final."""
    errors = _campaign_errors(data)
    if errors:
        raise ValidationError(errors)
    with audited_transaction():
        current = None
        if campaign is not None:
            current = Campaign.objects.select_for_update().get(pk=campaign.pk)
            version_check(current, version)
            if current.status != CampaignStatus.DRAFT:
                raise ValidationError(_("Only a draft campaign can be changed."))
        before = {name: getattr(current, name) for name in CAMPAIGN_FIELDS} if current else {}
        target = current or Campaign(created_by=actor.user, created_at=timezone.now())
        target.name = " ".join(data.name.split())
        target.channel = data.channel
        assert data.target_group is not None
        target.target_group = data.target_group
        target.subject = " ".join(data.subject.split()) if data.channel == "email" else ""
        target.body = data.body.strip().replace("\r\n", "\n")
        target.existing_customer_exception = data.existing_customer_exception
        target.updated_at = timezone.now()
        target.full_clean(exclude=["created_by", "queued_by"], validate_constraints=False)
        if current is not None:
            version_bump(target)
        target.save()
        audit_record(
            actor=actor,
            action=Action.CREATE if current is None else Action.UPDATE,
            obj=target,
            changed_fields=[
                name for name in CAMPAIGN_FIELDS if before.get(name) != getattr(target, name)
            ],
        )
    return target


def campaign_send(*, actor: Actor, campaign: Campaign, version: int) -> Campaign:
    """Queues the campaign for sending by the worker: a draft, or a sent one whose
    failed messages are to be tried again. Refused when no one may be reached."""
    with audited_transaction():
        current = Campaign.objects.select_for_update().select_related("target_group")
        current_campaign = current.get(pk=campaign.pk)
        version_check(current_campaign, version)
        if current_campaign.status not in SENDABLE:
            raise ValidationError(_("The campaign is already being sent."))
        retry = current_campaign.status != CampaignStatus.DRAFT
        if retry:
            failed = CampaignMessage.objects.filter(
                campaign=current_campaign, status=MessageStatus.FAILED
            ).update(status=MessageStatus.QUEUED, detail="")
            if not failed:
                raise ValidationError(_("Every message of the campaign has been handled."))
            current_campaign.failed_count -= failed
            reason = f"failed messages queued again: {failed}"
        else:
            count = campaign_recipients(current_campaign).count()
            if not count:
                raise ValidationError(_("No one in the target group may be reached now."))
            reason = f"queued for sending: {count} recipients now"
        current_campaign.status = CampaignStatus.QUEUED
        current_campaign.queued_by = actor.user
        current_campaign.queued_at = timezone.now()
        current_campaign.finished_at = None
        version_bump(current_campaign)
        current_campaign.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=current_campaign,
            changed_fields=["status"],
            reason=reason,
        )
        campaign_id = current_campaign.pk
        transaction.on_commit(lambda: send_campaign.enqueue(campaign_id))
    return current_campaign


def campaign_unsubscribe(
    *, message: CampaignMessage, ip_address: str | None, user_agent: str
) -> bool:
    """The recipient of `message` opts out of the campaign's channel, through the link
    in the message. Idempotent: True when a withdrawal was recorded now, False when the
    channel was already refused (nothing new is written)."""
    actor = Actor(type=ActorType.CUSTOMER, label="unsubscribe link", ip_address=ip_address)
    with audited_transaction():
        current = CampaignMessage.objects.select_for_update().get(pk=message.pk)
        campaign = current.campaign
        latest = (
            ConsentEvent.objects.filter(customer_id=current.customer_id, channel=campaign.channel)
            .order_by("-id")
            .values_list("kind", flat=True)
            .first()
        )
        recorded = latest != EventKind.WITHDRAWAL
        if recorded:
            consent_withdraw(
                actor=actor,
                customer=current.customer,
                channel=campaign.channel,
                source=ConsentSource.UNSUBSCRIBE_LINK,
                ip_address=ip_address,
                user_agent=user_agent,
            )
        if current.unsubscribed_at is None:
            current.unsubscribed_at = timezone.now()
            current.save(update_fields=["unsubscribed_at"])
    return recorded
