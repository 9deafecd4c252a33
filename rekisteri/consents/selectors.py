"""Reads of the consent ledger: the current state, derived from the events.

The rules, in one place for both the per-customer state and the campaign queryset:
- the ban is on when the latest of the customer's objections, bans and ban liftings is
  an objection or a ban; it stops every channel;
- email and SMS are allowed when the latest event of the channel is a grant given after
  the latest objection or ban (a ban cancels earlier opt-ins; lifting it does not bring
  them back);
- post and phone are allowed unless the latest event of the channel is a withdrawal;
- a restricted or anonymised customer gets no marketing at all.

"Latest" is the order of the ledger (its id): events are appended under the audit
chain's lock, so the id follows the time they were recorded."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from rekisteri.consents.models import (
    BANNING_KINDS,
    OPT_IN_CHANNELS,
    Channel,
    ConsentEvent,
    ConsentText,
    EventKind,
    Purpose,
)
from rekisteri.customers.models import Customer, Status


class Reason:
    """Why a channel is or is not allowed."""

    OPT_IN = "opt_in"  # allowed: a live opt-in
    NOT_REFUSED = "not_refused"  # allowed: post or phone, never refused
    NO_OPT_IN = "no_opt_in"  # email or SMS never granted (or granted before a ban)
    WITHDRAWN = "withdrawn"
    BANNED = "banned"
    RESTRICTED = "restricted"  # the customer is restricted or anonymised


REASON_LABELS = {
    Reason.OPT_IN: _("Allowed: opt-in given"),
    Reason.NOT_REFUSED: _("Allowed: not refused"),
    Reason.NO_OPT_IN: _("Not allowed: no opt-in"),
    Reason.WITHDRAWN: _("Not allowed: refused or withdrawn"),
    Reason.BANNED: _("Not allowed: direct marketing ban"),
    Reason.RESTRICTED: _("Not allowed: the customer is restricted or anonymised"),
}


@dataclass(frozen=True)
class ChannelState:
    channel: str
    allowed: bool
    reason: str
    since: datetime.datetime | None  # the event that decided it, if any

    @property
    def channel_label(self) -> str:
        return str(Channel(self.channel).label)

    @property
    def reason_label(self) -> str:
        return str(REASON_LABELS[self.reason])


@dataclass(frozen=True)
class ConsentState:
    banned: bool
    banned_since: datetime.datetime | None
    channels: dict[str, ChannelState]

    def allows(self, channel: str) -> bool:
        return self.channels[channel].allowed


def derive_state(*, status: str, events: Iterable[ConsentEvent]) -> ConsentState:
    """The state that a customer's events (in ledger order) and status give."""
    ordered = sorted(events, key=lambda event: event.pk)
    switch = [event for event in ordered if not event.channel]
    last_switch = switch[-1] if switch else None
    banned = last_switch is not None and last_switch.kind in BANNING_KINDS
    last_ban = next((e for e in reversed(switch) if e.kind in BANNING_KINDS), None)
    channels = {}
    for channel in Channel:
        of_channel = [event for event in ordered if event.channel == channel]
        last = of_channel[-1] if of_channel else None
        since = last.occurred_at if last else None
        if status != Status.ACTIVE:
            state = ChannelState(channel, False, Reason.RESTRICTED, None)
        elif banned:
            assert last_switch is not None
            state = ChannelState(channel, False, Reason.BANNED, last_switch.occurred_at)
        elif last is not None and last.kind == EventKind.WITHDRAWAL:
            state = ChannelState(channel, False, Reason.WITHDRAWN, since)
        elif channel not in OPT_IN_CHANNELS:
            state = ChannelState(channel, True, Reason.NOT_REFUSED, since)
        elif last is not None and (last_ban is None or last.pk > last_ban.pk):
            state = ChannelState(channel, True, Reason.OPT_IN, since)
        else:
            state = ChannelState(channel, False, Reason.NO_OPT_IN, None)
        channels[channel.value] = state
    return ConsentState(
        banned=banned,
        banned_since=last_switch.occurred_at if banned and last_switch else None,
        channels=channels,
    )


def consent_events(*, customer: Customer) -> QuerySet[ConsentEvent]:
    """The customer's ledger, newest first, with the wording and the evidence, an
    imported event's evidence and its import too."""
    return (
        ConsentEvent.objects.filter(customer=customer)
        .select_related("text", "staff_user", "order", "import_evidence__customer_import")
        .order_by("-id")
    )


def consent_state(customer: Customer) -> ConsentState:
    return derive_state(
        status=customer.status, events=ConsentEvent.objects.filter(customer=customer)
    )


def _latest(channel: str, field: str, kinds: Iterable[str] = ()) -> Subquery:
    events = ConsentEvent.objects.filter(
        customer=OuterRef("pk"), channel=channel, purpose=Purpose.OWN_DIRECT_MARKETING
    )
    if kinds:
        events = events.filter(kind__in=list(kinds))
    return Subquery(events.order_by("-id").values(field)[:1])


def customers_eligible(
    channel: str,
    customers: QuerySet[Customer] | None = None,
    *,
    not_refused_suffices: bool = False,
) -> QuerySet[Customer]:
    """The customers (of `customers`, else all) whom marketing may reach on `channel`
    now, by the same rules as `consent_state`, evaluated in the database.

    `not_refused_suffices` applies the post and phone rule (allowed unless refused) to
    email and SMS too: the existing-customer exception of 917/2014 § 200, which the
    caller narrows to customers whose details came with a purchase. A ban, an objection
    and a withdrawal on the channel still exclude."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    queryset = (customers if customers is not None else Customer.objects.all()).filter(
        status=Status.ACTIVE
    )
    queryset = queryset.alias(
        consent_switch=_latest("", "kind"), consent_last_kind=_latest(channel, "kind")
    ).filter(Q(consent_switch__isnull=True) | Q(consent_switch=EventKind.BAN_LIFTED))
    if channel not in OPT_IN_CHANNELS or not_refused_suffices:
        return queryset.filter(
            Q(consent_last_kind__isnull=True) | Q(consent_last_kind=EventKind.GRANT)
        )
    return (
        queryset.alias(
            consent_last_id=_latest(channel, "id"),
            consent_last_ban_id=_latest("", "id", kinds=BANNING_KINDS),
        )
        .filter(consent_last_kind=EventKind.GRANT)
        .filter(
            Q(consent_last_ban_id__isnull=True) | Q(consent_last_ban_id__lt=F("consent_last_id"))
        )
    )


def consent_text_current(
    *, channel: str, purpose: str = Purpose.OWN_DIRECT_MARKETING
) -> ConsentText | None:
    """The wording asked with now: the newest version for the channel and purpose."""
    return ConsentText.objects.filter(channel=channel, purpose=purpose).order_by("-version").first()


def consent_texts_current() -> dict[str, ConsentText]:
    """The current wording of each channel that has one."""
    texts = {}
    for channel in Channel.values:
        text = consent_text_current(channel=channel)
        if text is not None:
            texts[channel] = text
    return texts


# Reach: how many of the active customers marketing may reach per channel --------------


def consent_reach_at(
    *, moments: Sequence[datetime.datetime]
) -> tuple[list[int], dict[str, list[int]]]:
    """For each of `moments`: how many customers existed then who are active today, and
    how many of them marketing could have reached on each channel, by the rules above
    applied to the ledger as it stood then (the events that occurred before the moment).
    A restriction or an erasure is not dated, so it counts from the start.

    The rules said with ledger ids, the latest event of a kind being the one with the
    highest id (0 when there is none): the ban is on when the latest ban or objection
    came after the latest lifting; email and SMS are allowed when the latest grant came
    after the latest withdrawal and the latest ban; post and phone unless the latest
    withdrawal came after the latest grant. Two queries whatever the number of
    customers: one over the ledger grouped by customer, one over the customers."""
    if not moments:
        return [], {channel: [] for channel in Channel.values}
    steps = list(enumerate(moments))

    def latest(moment: datetime.datetime, condition: Q) -> Coalesce:
        return Coalesce(Max("id", filter=condition & Q(occurred_at__lt=moment)), 0)

    banning = Q(channel="", kind__in=BANNING_KINDS)
    lifting = Q(channel="", kind=EventKind.BAN_LIFTED)
    latest_ids: dict[str, Coalesce] = {}
    for index, moment in steps:
        latest_ids[f"ban_{index}"] = latest(moment, banning)
        latest_ids[f"lift_{index}"] = latest(moment, lifting)
        for channel in Channel.values:
            granting = Q(channel=channel, kind=EventKind.GRANT)
            withdrawing = Q(channel=channel, kind=EventKind.WITHDRAWAL)
            latest_ids[f"grant_{channel}_{index}"] = latest(moment, granting)
            latest_ids[f"withdrawal_{channel}_{index}"] = latest(moment, withdrawing)
    per_customer = (
        ConsentEvent.objects.filter(
            purpose=Purpose.OWN_DIRECT_MARKETING,
            customer__status=Status.ACTIVE,
            occurred_at__lt=max(moments),
        )
        .values("customer_id")
        .annotate(created_at=Max("customer__created_at"), **latest_ids)
    )
    counts: dict[str, Count] = {}
    for index, moment in steps:
        existed = Q(created_at__lt=moment)
        banned = Q(**{f"ban_{index}__gt": F(f"lift_{index}")})
        for channel in Channel.values:
            grant, withdrawal = f"grant_{channel}_{index}", f"withdrawal_{channel}_{index}"
            if channel in OPT_IN_CHANNELS:
                allowed = (
                    Q(**{f"{grant}__gt": F(withdrawal)})
                    & Q(**{f"{grant}__gt": F(f"ban_{index}")})
                    & ~banned
                )
                counts[f"{channel}_{index}"] = Count("customer_id", filter=existed & allowed)
            else:
                refused = Q(**{f"{withdrawal}__gt": F(grant)}) | banned
                counts[f"{channel}_{index}"] = Count("customer_id", filter=existed & refused)
    ledger = per_customer.aggregate(**counts)
    customers = Customer.objects.filter(status=Status.ACTIVE).aggregate(
        **{
            f"existed_{index}": Count("pk", filter=Q(created_at__lt=moment))
            for index, moment in steps
        }
    )
    totals = [customers[f"existed_{index}"] for index, _moment in steps]
    reach: dict[str, list[int]] = {}
    for channel in Channel.values:
        counted = [ledger[f"{channel}_{index}"] for index, _moment in steps]
        if channel in OPT_IN_CHANNELS:
            reach[channel] = counted
        else:
            reach[channel] = [
                total - refused for total, refused in zip(totals, counted, strict=True)
            ]
    return totals, reach
