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
- staff accounts' roles and sign-in (accounts.decide_rolegrant, the privacy officer):
  roles awaiting confirmation, recent role grants, passwords set by someone else and
  two-factor resets, and the privacy officers and auditors whose sign-in they reset.

Requests are shown to the privacy officer who handles them (customer service records
them but does not); the privacy officer sees the backups because a lost backup may be
a breach of availability (GDPR art. 32(1)(c)).

Every section is a fixed number of aggregate queries, whatever the size of the
register. Weeks and months are Finnish ones: they start on Monday and on the first
day of the month at midnight in Helsinki (settings.TIME_ZONE). The consent counts read
the whole consent ledger, so they are kept in the cache for a while (see
`marketing_section`)."""

from __future__ import annotations

import datetime
import zoneinfo
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from rekisteri.accounts.models import Authenticator, User
from rekisteri.accounts.notices import SecurityEvent, staff_security_events
from rekisteri.accounts.selectors import GrantRow, confirmed_role_holders, role_grants_pending
from rekisteri.backups.selectors import BackupStatus, backup_status
from rekisteri.charts import Chart, Series
from rekisteri.consents.models import Channel
from rekisteri.consents.selectors import consent_reach_at
from rekisteri.customers.models import Customer, Source
from rekisteri.intake.models import Integration
from rekisteri.marketing.models import Campaign, CampaignStatus
from rekisteri.orders.models import Order, OrderStatus, Return, ReturnStatus
from rekisteri.orders.selectors import order_list
from rekisteri.privacy.breaches.services import BreachRow, breach_register
from rekisteri.privacy.requests.selectors import BoardRow, request_board

MONTHS = 12
WEEKS = 12
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
STAFF_SECURITY = "accounts.decide_rolegrant"
STAFF_SECURITY_DAYS = 30


# Weeks and months in Helsinki ----------------------------------------------------------


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=_zone())


def month_starts(now: datetime.datetime, months: int = MONTHS) -> list[datetime.datetime]:
    """The first moments of the last `months` months in Helsinki, this one last."""
    today = timezone.localtime(now, _zone()).date()
    index = today.year * 12 + today.month - 1
    return [
        _midnight(datetime.date(month // 12, month % 12 + 1, 1))
        for month in range(index - months + 1, index + 1)
    ]


def week_starts(now: datetime.datetime, weeks: int = WEEKS) -> list[datetime.datetime]:
    """The Monday midnights in Helsinki that start the last `weeks` weeks, this one last."""
    today = timezone.localtime(now, _zone()).date()
    monday = today - datetime.timedelta(days=today.weekday())
    return [_midnight(monday - datetime.timedelta(weeks=back)) for back in range(weeks - 1, -1, -1)]


def _bucket_day(value: datetime.datetime) -> datetime.date:
    return timezone.localtime(value, _zone()).date() if timezone.is_aware(value) else value.date()


def _counts_by_period(
    queryset: QuerySet[Any],
    *,
    field: str,
    period: type[TruncMonth] | type[TruncWeek],
    starts: Sequence[datetime.datetime],
    group: str | None = None,
) -> Counter[tuple[datetime.date, str]]:
    """How many rows of `queryset` fall in each period from `starts[0]` on, by `group`:
    one grouped query."""
    rows = (
        queryset.filter(**{f"{field}__gte": starts[0]})
        .annotate(period=period(field, tzinfo=_zone()))
        .values("period", *([group] if group else []))
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: Counter[tuple[datetime.date, str]] = Counter()
    for row in rows:
        counts[(_bucket_day(row["period"]), row[group] if group else "")] += row["count"]
    return counts


def _month_labels(starts: Sequence[datetime.datetime]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    short = tuple(date_format(start, "n/Y") for start in starts)
    full = tuple(capfirst(date_format(start, "YEAR_MONTH_FORMAT")) for start in starts)
    return short, full


def _week_labels(starts: Sequence[datetime.datetime]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    short = tuple(_("wk %(week)d") % {"week": start.isocalendar().week} for start in starts)
    full = tuple(
        _("Week %(week)d, from %(day)s")
        % {"week": start.isocalendar().week, "day": date_format(start, "SHORT_DATE_FORMAT")}
        for start in starts
    )
    return short, full


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


def orders_chart(*, now: datetime.datetime) -> Chart:
    """Orders placed and returns recorded in each of the last twelve weeks."""
    starts = week_starts(now)
    orders = _counts_by_period(
        Order.objects.all(), field="placed_at", period=TruncWeek, starts=starts
    )
    returns = _counts_by_period(
        Return.objects.all(), field="created_at", period=TruncWeek, starts=starts
    )
    days = [start.date() for start in starts]
    short, full = _week_labels(starts)
    return Chart(
        chart_id="chart-orders-per-week",
        title=_("Orders and returns per week"),
        description=_(
            "Orders placed and returns recorded in each of the last %(weeks)d weeks, "
            "Monday to Sunday."
        )
        % {"weeks": WEEKS},
        kind="bars",
        categories=short,
        category_names=full,
        category_heading=_("Week"),
        series=(
            Series(_("Orders"), tuple(orders[(day, "")] for day in days)),
            Series(_("Returns"), tuple(returns[(day, "")] for day in days)),
        ),
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


def consent_chart(
    *,
    month_ends: Sequence[datetime.datetime],
    totals: Sequence[int],
    reach: dict[str, list[int]],
) -> Chart:
    """The share of active customers marketing may reach per channel at each moment: the
    ends of past months, and now."""
    days = [
        timezone.localtime(moment, _zone()) - datetime.timedelta(microseconds=1)
        for moment in month_ends
    ]
    # The last moment is now, not a month's end: it is labelled with today.
    days[-1] = timezone.localtime(month_ends[-1], _zone())
    series = tuple(
        Series(
            str(channel.label),
            tuple(
                100 * reached / total if total else None
                for reached, total in zip(reach[channel.value], totals, strict=True)
            ),
        )
        for channel in Channel
    )
    return Chart(
        chart_id="chart-consent-rates",
        title=_("Who marketing may reach, per channel"),
        description=_(
            "The share of active customers whom marketing may reach on each channel, "
            "at the end of each of the last %(months)d months and today, by the consents "
            "and bans in force then."
        )
        % {"months": len(month_ends) - 1},
        kind="lines",
        categories=tuple(date_format(day, "n/Y") for day in days),
        category_names=tuple(date_format(day, "SHORT_DATE_FORMAT") for day in days),
        category_heading=_("Date"),
        series=series,
        percent=True,
    )


def customers_chart(*, starts: Sequence[datetime.datetime]) -> Chart:
    """New customers per month by the channel the relationship started from (web shop,
    email, phone, import): Customer.source, which stays what it was when they came."""
    counts = _counts_by_period(
        Customer.objects.all(), field="created_at", period=TruncMonth, starts=starts, group="source"
    )
    days = [start.date() for start in starts]
    short, full = _month_labels(starts)
    return Chart(
        chart_id="chart-new-customers",
        title=_("New customers per channel"),
        description=_(
            "New customers in each of the last %(months)d months, by the channel the "
            "customer relationship started from."
        )
        % {"months": len(starts)},
        kind="stacked",
        categories=short,
        category_names=full,
        category_heading=_("Month"),
        series=tuple(
            Series(str(source.label), tuple(counts[(day, source.value)] for day in days))
            for source in Source
        ),
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

    @property
    def is_empty(self) -> bool:
        return all(section is None for section in vars(self).values())


def start_page(*, user: User | AnonymousUser, now: datetime.datetime | None = None) -> StartPage:
    """The sections `user`'s permissions open, each read only when shown."""
    now = now or timezone.now()
    allowed = user.has_perm
    return StartPage(
        orders=orders_section(now=now) if allowed(ORDERS) else None,
        requests=requests_section(today=timezone.localtime(now, _zone()).date())
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
    )
