"""Writes to the consent ledger. Each validates first, then appends the event and its
audit event in one transaction. Nothing is ever changed or removed: a withdrawal or a
lifted ban is a new event."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.consents.models import (
    Channel,
    ConsentEvent,
    ConsentText,
    EventKind,
    Purpose,
    Source,
)
from rekisteri.consents.selectors import consent_state, consent_text_current
from rekisteri.customers.models import Customer, Language, Status
from rekisteri.orders.models import Channel as OrderChannel
from rekisteri.privacy.replay.log import act_record

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from rekisteri.orders.models import Order

NOT_ACTIVE = _("A restricted or anonymised customer cannot be given new consents.")
USER_AGENT_MAX_LENGTH = 300
# The source of a consent given with a staff-entered order, by how the order came.
ORDER_SOURCES: dict[str, str] = {
    OrderChannel.PHONE: Source.PHONE_CALL,
    OrderChannel.EMAIL: Source.EMAIL,
}


def _check(
    *,
    customer: Customer,
    source: str,
    language: str,
    channel: str | None = None,
    order: Order | None = None,
) -> None:
    errors: dict[str, list[StrOrPromise]] = {}
    if channel is not None and channel not in Channel.values:
        errors["channel"] = [_("Choose email, SMS, post or phone.")]
    if source not in Source.values:
        errors["source"] = [_("Choose where the customer said it.")]
    elif source == Source.IMPORT:
        # Only a customer list brings one, with the file's evidence (imports.batches).
        errors["source"] = [_("An imported consent is recorded only by an import.")]
    if language and language not in Language.values:
        errors["language"] = [_("Choose Finnish, Swedish or English.")]
    if order is not None and order.customer_id != customer.pk:
        errors["order"] = [_("The order is another customer's.")]
    if errors:
        raise ValidationError(errors)


def _append(
    *,
    actor: Actor,
    customer: Customer,
    kind: str,
    source: str,
    channel: str = "",
    language: str = "",
    text: ConsentText | None = None,
    order: Order | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    needs_active: bool = False,
) -> ConsentEvent:
    """Appends one event, with the customer's row locked so that a restriction and a
    grant cannot pass each other."""
    with audited_transaction():
        current = Customer.objects.select_for_update().get(pk=customer.pk)
        if current.merged_into_id is not None:
            # A record merged into another (an old unsubscribe link): what the person
            # says holds on the record it was merged into (`customers.merging`).
            current = Customer.objects.select_for_update().get(pk=current.merged_into_id)
        if needs_active and current.status != Status.ACTIVE:
            raise ValidationError({"customer": [NOT_ACTIVE]})
        if kind == EventKind.BAN_LIFTED and not consent_state(current).banned:
            raise ValidationError(_("The customer has no direct marketing ban to lift."))
        event = consent_event_built(
            actor=actor,
            customer=current,
            kind=kind,
            source=source,
            channel=channel,
            language=language,
            text=text,
            order=order,
            ip_address=ip_address,
            user_agent=user_agent,
            occurred_at=timezone.now(),
        )
        event.save(force_insert=True)
        audit_record(actor=actor, **consent_event_audit_fields(event))
        if kind != EventKind.GRANT:
            # The act's last write, so that a restore cannot lose it (`privacy.replay.log`).
            act_record(
                customer=current,
                kind=kind,
                channel=channel,
                source=source,
                done_at=event.occurred_at,
            )
    return event


def consent_event_built(
    *,
    actor: Actor,
    customer: Customer,
    kind: str,
    source: str,
    occurred_at: datetime.datetime,
    channel: str = "",
    language: str = "",
    text: ConsentText | None = None,
    order: Order | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> ConsentEvent:
    """One event of the ledger, validated and not saved: what `_append` saves, and the
    import saves in bulk for customers it creates in the same batch. An imported grant
    has no `text` and the time its evidence gives (docs/import.md)."""
    event = ConsentEvent(
        customer=customer,
        channel=channel,
        purpose=Purpose.OWN_DIRECT_MARKETING,
        kind=kind,
        occurred_at=occurred_at,
        source=source,
        text=text,
        language=language or customer.preferred_language,
        staff_user=actor.user,
        ip_address=ip_address or None,
        user_agent=" ".join(user_agent.split())[:USER_AGENT_MAX_LENGTH],
        order=order,
    )
    event.full_clean(
        exclude=["customer", "text", "staff_user", "order"], validate_constraints=False
    )
    return event


def consent_event_audit_fields(event: ConsentEvent) -> dict[str, Any]:
    """What the audit event of a new (saved) consent event says, but its actor."""
    return {
        "action": Action.CREATE,
        "obj": event,
        "customer": event.customer,
        "changed_fields": ["consent"],
        "reason": f"{event.kind} {event.channel or 'all channels'} ({event.source})",
    }


def consent_text_check(*, channel: str, text: ConsentText | None) -> ConsentText:
    """The wording a grant on `channel` is given with, or a ValidationError when the
    channel has none."""
    if text is None or text.channel != channel:
        raise ValidationError({"channel": [_("There is no consent text for this channel.")]})
    return text


def consent_grant(
    *,
    actor: Actor,
    customer: Customer,
    channel: str,
    source: str,
    text: ConsentText | None = None,
    language: str = "",
    order: Order | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> ConsentEvent:
    """Records a consent to the company's own direct marketing on one channel (P3, P11),
    with the wording shown (`text`, else the channel's current one) and the evidence.

    A restricted or anonymised customer cannot be given a consent (ValidationError)."""
    _check(customer=customer, source=source, language=language, channel=channel, order=order)
    text = consent_text_check(channel=channel, text=text or consent_text_current(channel=channel))
    if customer.status != Status.ACTIVE:
        raise ValidationError({"customer": [NOT_ACTIVE]})
    return _append(
        actor=actor,
        customer=customer,
        kind=EventKind.GRANT,
        channel=channel,
        source=source,
        language=language,
        text=text,
        order=order,
        ip_address=ip_address,
        user_agent=user_agent,
        needs_active=True,
    )


def consent_withdraw(
    *,
    actor: Actor,
    customer: Customer,
    channel: str,
    source: str,
    language: str = "",
    order: Order | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> ConsentEvent:
    """Records that the customer withdrew consent on (or refused) one channel. Always
    accepted, whatever the customer's status or consents."""
    _check(customer=customer, source=source, language=language, channel=channel, order=order)
    return _append(
        actor=actor,
        customer=customer,
        kind=EventKind.WITHDRAWAL,
        channel=channel,
        source=source,
        language=language,
        order=order,
        ip_address=ip_address,
        user_agent=user_agent,
    )


def _switch(
    *,
    kind: str,
    actor: Actor,
    customer: Customer,
    source: str,
    language: str,
    ip_address: str | None,
    user_agent: str,
) -> ConsentEvent:
    _check(customer=customer, source=source, language=language)
    return _append(
        actor=actor,
        customer=customer,
        kind=kind,
        source=source,
        language=language,
        ip_address=ip_address,
        user_agent=user_agent,
        needs_active=kind == EventKind.BAN_LIFTED,
    )


def marketing_object(
    *,
    actor: Actor,
    customer: Customer,
    source: str,
    language: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> ConsentEvent:
    """Records an objection to direct marketing (GDPR art. 21(2)); it sets the direct
    marketing ban. Always accepted."""
    return _switch(
        kind=EventKind.OBJECTION,
        actor=actor,
        customer=customer,
        source=source,
        language=language,
        ip_address=ip_address,
        user_agent=user_agent,
    )


def marketing_ban(
    *,
    actor: Actor,
    customer: Customer,
    source: str,
    language: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> ConsentEvent:
    """Sets the direct marketing ban (suoramarkkinointikielto, P6): no marketing on any
    channel until it is lifted. Always accepted."""
    return _switch(
        kind=EventKind.BAN,
        actor=actor,
        customer=customer,
        source=source,
        language=language,
        ip_address=ip_address,
        user_agent=user_agent,
    )


def marketing_ban_lift(
    *,
    actor: Actor,
    customer: Customer,
    source: str,
    language: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> ConsentEvent:
    """Lifts the direct marketing ban at the customer's request. Post and phone are then
    allowed unless refused; email and SMS need a new opt-in. Refused for a customer
    without a ban, or one restricted or anonymised."""
    if customer.status != Status.ACTIVE:
        raise ValidationError({"customer": [NOT_ACTIVE]})
    return _switch(
        kind=EventKind.BAN_LIFTED,
        actor=actor,
        customer=customer,
        source=source,
        language=language,
        ip_address=ip_address,
        user_agent=user_agent,
    )


def consent_event_record(
    *,
    actor: Actor,
    customer: Customer,
    kind: str,
    source: str,
    channel: str = "",
    language: str = "",
) -> ConsentEvent:
    """What staff record on the customer page: any kind of event, by its kind."""
    if kind in (EventKind.GRANT, EventKind.WITHDRAWAL) and not channel:
        raise ValidationError({"channel": [_("Choose the channel.")]})
    if kind == EventKind.GRANT:
        return consent_grant(
            actor=actor, customer=customer, channel=channel, source=source, language=language
        )
    if kind == EventKind.WITHDRAWAL:
        return consent_withdraw(
            actor=actor, customer=customer, channel=channel, source=source, language=language
        )
    switches = {
        EventKind.OBJECTION: marketing_object,
        EventKind.BAN: marketing_ban,
        EventKind.BAN_LIFTED: marketing_ban_lift,
    }
    if kind in switches:
        return switches[EventKind(kind)](
            actor=actor, customer=customer, source=source, language=language
        )
    raise ValidationError({"kind": [_("Choose what the customer said.")]})


def order_consents_check(*, customer: Customer, channels: Sequence[str]) -> None:
    """Refuses (ValidationError) consents about to be recorded with an order, before
    the order is saved, so that an order with consents that cannot be given is not
    saved half-way."""
    if channels and customer.status != Status.ACTIVE:
        raise ValidationError({"customer": [NOT_ACTIVE]})


def order_consents_record(
    *,
    actor: Actor,
    order: Order,
    texts: Sequence[ConsentText],
    source: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> list[ConsentEvent]:
    """Records the consents given with an order (one grant per text shown), the order
    as their evidence. For a customer who cannot be given consents (restricted or
    anonymised) nothing is recorded: the order itself still stands."""
    customer = order.customer
    if customer.status != Status.ACTIVE:
        return []
    with audited_transaction():
        return [
            consent_grant(
                actor=actor,
                customer=customer,
                channel=text.channel,
                source=source,
                text=text,
                order=order,
                ip_address=ip_address,
                user_agent=user_agent,
            )
            for text in texts
        ]


def shop_consents_record(
    *,
    actor: Actor,
    order: Order,
    channels: Sequence[str],
    ip_address: str = "",
    user_agent: str = "",
) -> list[ConsentEvent]:
    """Records the consents a buyer gave at a web shop's checkout, with the order as
    evidence. The shop does not tell its wording, so the channel's current consent
    text stands for it (docs/consents.md). Unknown channels are left out."""
    texts = [
        text
        for channel in dict.fromkeys(channels)
        if channel in Channel.values and (text := consent_text_current(channel=channel)) is not None
    ]
    return order_consents_record(
        actor=actor,
        order=order,
        texts=texts,
        source=Source.WEB_SHOP_CHECKOUT,
        ip_address=ip_address or None,
        user_agent=user_agent,
    )
