"""The start page's reads: for each part of the work that a person's permissions open,
what needs doing now and how it has gone lately. A person with several roles sees
several sections; the sections follow permissions, never role names:

- orders and returns (orders.view_order): the latest orders, returns to handle,
  orders not yet shipped, orders and returns per week;
- subject requests (privacy.change_subjectrequest): open requests, nearest deadline
  first, and the overdue ones;
- breaches (privacy.view_breach): those whose 72-hour clock runs;
- backups (backups.view_backuprun or privacy.view_breach): the last good backup and
  the last run;
- marketing (marketing.add_campaign): whom marketing may reach per channel, now and at
  past month ends; campaign sends; new customers per channel and month;
- staff (accounts.manage_staff): active accounts, those without two-factor sign-in,
  lockouts;
- integrations (intake.manage_integrations): each one's last order;
- the shops' deliveries that wait for a person (intake.handle_deliveries): how many;
- what waits while customers are restricted (privacy.erase_customer): how many changes
  and shop orders wait for the privacy officer's decision (GDPR art. 18);
- staff accounts' roles and sign-in (accounts.decide_rolegrant, the privacy officer):
  roles awaiting confirmation, recent role grants, passwords set by someone else and
  two-factor resets, and the privacy officers and auditors whose sign-in they reset.

Requests are shown to the privacy officer who handles them (customer service records
them but does not); the privacy officer sees the backups because a lost backup may be
a breach of availability (GDPR art. 32(1)(c)).

Every section is a fixed number of aggregate queries, whatever the size of the
register. Weeks and months are Finnish ones (periods.py); the charts are drawn in
charts.py. The consent counts read the whole consent ledger, so they are kept in the
cache for a while (see `marketing_section`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import cast

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from rekisteri.accounts.models import Authenticator, User
from rekisteri.accounts.notices import SecurityEvent, staff_security_events
from rekisteri.accounts.selectors import GrantRow, confirmed_role_holders, role_grants_pending
from rekisteri.backups.selectors import BackupStatus, backup_status
from rekisteri.charts import Chart
from rekisteri.consents.models import Channel
from rekisteri.consents.selectors import consent_reach_at
from rekisteri.dashboard.charts import consent_chart, customers_chart, orders_chart
from rekisteri.dashboard.periods import local_zone, month_starts
from rekisteri.intake.attention import attention_count
from rekisteri.intake.models import Integration
from rekisteri.marketing.models import Campaign, CampaignStatus
from rekisteri.orders.models import Order, OrderStatus, Return, ReturnStatus
from rekisteri.orders.selectors import order_list
from rekisteri.privacy.breaches.services import BreachRow, breach_register
from rekisteri.privacy.requests.selectors import BoardRow, request_board
from rekisteri.privacy.restriction.services import waiting_count

LIST_LIMIT = 10
CAMPAIGNS_SHOWN = 5
# The consent counts read the whole consent ledger, a second or more per moment counted
# with a million customers: the current ones are counted again after a few minutes,
# past month ends a few times a day (they change only when a late event or a
# restriction reaches back).
CONSENT_NOW_SECONDS = 10 * 60
CONSENT_HISTORY_SECONDS = 6 * 60 * 60

ORDERS = "orders.view_order"
REQUESTS = "privacy.change_subjectrequest"
BREACHES = "privacy.view_breach"
BACKUPS = ("backups.view_backuprun", "privacy.view_breach")
MARKETING = "marketing.add_campaign"
STAFF = "accounts.manage_staff"
INTEGRATIONS = "intake.manage_integrations"
DELIVERIES = "intake.handle_deliveries"
RESTRICTION = "privacy.erase_customer"
STAFF_SECURITY = "accounts.decide_rolegrant"
STAFF_SECURITY_DAYS = 30


# Customer service ----------------------------------------------------------------------


@dataclass(frozen=True)
class OrdersSection:
    recent: list[Order]
    returns_open: list[Return]
    returns_open_count: int
    not_shipped_count: int
    chart: Chart


OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)
NOT_SHIPPED_STATUSES = (OrderStatus.RECEIVED, OrderStatus.CONFIRMED)


def orders_section(*, now: datetime.datetime) -> OrdersSection:
    recent, _more = order_list(before=None, limit=LIST_LIMIT)
    open_returns = Return.objects.filter(status__in=OPEN_RETURN_STATUSES)
    return OrdersSection(
        recent=recent,
        returns_open=list(
            open_returns.select_related("order").order_by("created_at", "pk")[:LIST_LIMIT]
        ),
        returns_open_count=open_returns.count(),
        not_shipped_count=Order.objects.filter(status__in=NOT_SHIPPED_STATUSES).count(),
        chart=orders_chart(now=now),
    )


# The privacy officer -------------------------------------------------------------------


@dataclass(frozen=True)
class RequestsSection:
    rows: list[BoardRow]  # the nearest deadlines
    open_count: int
    overdue_count: int


def requests_section(*, today: datetime.date) -> RequestsSection:
    board = request_board(today=today)
    return RequestsSection(board[:LIST_LIMIT], len(board), sum(row.overdue for row in board))


def breaches_running(*, now: datetime.datetime) -> list[BreachRow]:
    """The breaches whose 72-hour clock still runs, the nearest deadline first."""
    return [row for row in breach_register(now=now) if row.clock.running]


# Marketing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelReach:
    channel: str
    label: str
    reached: int
    active: int

    @property
    def percent(self) -> float | None:
        return 100 * self.reached / self.active if self.active else None


@dataclass(frozen=True)
class MarketingSection:
    reach: list[ChannelReach]
    counted_at: datetime.datetime
    campaigns: list[Campaign]
    consent_chart: Chart
    customers_chart: Chart


def marketing_section(*, now: datetime.datetime) -> MarketingSection:
    """Who marketing may reach now and at the end of each of the last eleven months
    (`consent_reach_at`, from the cache when counted lately), the latest campaign
    sends, and new customers per channel and month."""
    starts = month_starts(now)
    month_ends = starts[1:]
    past_totals, past_reach = cast(
        "tuple[list[int], dict[str, list[int]]]",
        cache.get_or_set(
            f"start-page:consent-reach:{month_ends[0].isoformat()}:{len(month_ends)}",
            lambda: consent_reach_at(moments=month_ends),
            CONSENT_HISTORY_SECONDS,
        ),
    )
    counted_at, (now_totals, now_reach) = cast(
        "tuple[datetime.datetime, tuple[list[int], dict[str, list[int]]]]",
        cache.get_or_set(
            "start-page:consent-reach:now",
            lambda: (now, consent_reach_at(moments=[now])),
            CONSENT_NOW_SECONDS,
        ),
    )
    reach = [
        ChannelReach(channel.value, str(channel.label), now_reach[channel.value][0], now_totals[0])
        for channel in Channel
    ]
    return MarketingSection(
        reach=reach,
        counted_at=counted_at,
        campaigns=campaign_sends(),
        consent_chart=consent_chart(
            month_ends=[*month_ends, counted_at],
            totals=[*past_totals, now_totals[0]],
            reach={
                channel: [*past_reach[channel], now_reach[channel][0]] for channel in past_reach
            },
        ),
        customers_chart=customers_chart(starts=starts),
    )


def campaign_sends() -> list[Campaign]:
    """The latest campaigns sent or being sent, with their progress counts."""
    return list(
        Campaign.objects.exclude(status=CampaignStatus.DRAFT)
        .select_related("target_group")
        .order_by(F("queued_at").desc(nulls_last=True), "-pk")[:CAMPAIGNS_SHOWN]
    )


# The administrator ---------------------------------------------------------------------


@dataclass(frozen=True)
class StaffSummary:
    active: int
    without_two_factor: int
    locked_out: list[str]  # usernames locked out at some address now


def staff_summary(*, now: datetime.datetime) -> StaffSummary:
    authenticator = Authenticator.objects.filter(user=OuterRef("pk"), confirmed=True)
    counts = User.objects.filter(is_active=True).aggregate(
        active=Count("pk"), without_two_factor=Count("pk", filter=~Q(Exists(authenticator)))
    )
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        username__in=User.objects.filter(is_active=True).values("username"),
    )
    cool_off = get_cool_off()
    if cool_off is not None:  # None: a lockout lasts until an administrator lifts it
        attempts = attempts.filter(attempt_time__gte=now - cool_off)
    locked = attempts.values_list("username", flat=True).distinct().order_by("username")
    return StaffSummary(
        counts["active"], counts["without_two_factor"], [str(name) for name in locked[:LIST_LIMIT]]
    )


@dataclass(frozen=True)
class StaffSecuritySection:
    grants: list[GrantRow]
    events: list[SecurityEvent]
    holders: list[User]
    days: int = STAFF_SECURITY_DAYS


def staff_security_section(*, user: User, now: datetime.datetime) -> StaffSecuritySection:
    since = now - datetime.timedelta(days=STAFF_SECURITY_DAYS)
    return StaffSecuritySection(
        grants=role_grants_pending(viewer=user),
        events=staff_security_events(since=since, limit=LIST_LIMIT),
        holders=confirmed_role_holders(viewer=user),
    )


def integrations_with_last_order() -> list[Integration]:
    """Every integration, those in use first, each with `last_order_at`: when the
    latest order it sent was received."""
    latest = (
        Order.objects.filter(integration=OuterRef("pk")).order_by("-pk").values("created_at")[:1]
    )
    return list(
        Integration.objects.annotate(last_order_at=Subquery(latest)).order_by(
            F("revoked_at").desc(nulls_first=True), "name"
        )
    )


# The page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartPage:
    orders: OrdersSection | None = None
    requests: RequestsSection | None = None
    breaches: list[BreachRow] | None = None
    backups: BackupStatus | None = None
    marketing: MarketingSection | None = None
    staff: StaffSummary | None = None
    integrations: list[Integration] | None = None
    staff_security: StaffSecuritySection | None = None
    deliveries_needing_attention: int | None = None
    restriction_waiting: int | None = None

    @property
    def is_empty(self) -> bool:
        return all(section is None for section in vars(self).values())


def start_page(*, user: User | AnonymousUser, now: datetime.datetime | None = None) -> StartPage:
    """The sections `user`'s permissions open, each read only when shown."""
    now = now or timezone.now()
    allowed = user.has_perm
    return StartPage(
        orders=orders_section(now=now) if allowed(ORDERS) else None,
        requests=requests_section(today=timezone.localtime(now, local_zone()).date())
        if allowed(REQUESTS)
        else None,
        breaches=breaches_running(now=now) if allowed(BREACHES) else None,
        backups=backup_status(now=now) if any(allowed(name) for name in BACKUPS) else None,
        marketing=marketing_section(now=now) if allowed(MARKETING) else None,
        staff=staff_summary(now=now) if allowed(STAFF) else None,
        integrations=integrations_with_last_order() if allowed(INTEGRATIONS) else None,
        staff_security=staff_security_section(user=user, now=now)
        if isinstance(user, User) and allowed(STAFF_SECURITY)
        else None,
        deliveries_needing_attention=attention_count() if allowed(DELIVERIES) else None,
        restriction_waiting=waiting_count() if allowed(RESTRICTION) else None,
    )
