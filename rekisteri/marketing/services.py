"""Writes of target groups, and the audit of their exports."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.models import Channel
from rekisteri.customers.models import Language
from rekisteri.marketing.models import TargetGroup
from rekisteri.marketing.postal_codes import InvalidRange, normalize_ranges

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
    *, actor: Actor, data: TargetGroupInput, group: TargetGroup | None = None
) -> TargetGroup:
    """Creates a target group, or changes `group`, and audits it (the criteria that
    changed; no personal data is in a group)."""
    with audited_transaction():
        current = (
            TargetGroup.objects.select_for_update().get(pk=group.pk) if group is not None else None
        )
        before = {name: getattr(current, name) for name in CRITERIA_FIELDS} if current else {}
        target = target_group_build(data=data, group=current)
        now = timezone.now()
        if current is None:
            target.created_by, target.created_at = actor.user, now
        target.updated_by, target.updated_at = actor.user, now
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
