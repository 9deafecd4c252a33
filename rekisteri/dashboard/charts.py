"""The start pages' charts: orders and returns per week, who marketing may reach per
channel, and new customers per channel and month, each counted in one grouped query
per series (rekisteri/charts.py draws them)."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from rekisteri.charts import Chart, Series
from rekisteri.consents.models import Channel
from rekisteri.customers.models import Customer, Source, Status
from rekisteri.dashboard.periods import WEEKS, local_zone, week_starts
from rekisteri.orders.models import Order, Return


def _bucket_day(value: datetime.datetime) -> datetime.date:
    if timezone.is_aware(value):
        return timezone.localtime(value, local_zone()).date()
    return value.date()


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
        .annotate(period=period(field, tzinfo=local_zone()))
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


def consent_chart(
    *,
    month_ends: Sequence[datetime.datetime],
    totals: Sequence[int],
    reach: dict[str, list[int]],
) -> Chart:
    """The share of active customers marketing may reach per channel at each moment: the
    ends of past months, and now."""
    days = [
        timezone.localtime(moment, local_zone()) - datetime.timedelta(microseconds=1)
        for moment in month_ends
    ]
    # The last moment is now, not a month's end: it is labelled with today.
    days[-1] = timezone.localtime(month_ends[-1], local_zone())
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
    email, phone, import): Customer.source, which stays what it was when they came. A
    record merged into another was the same person coming twice: only the kept record
    counts. An erased one still counts: the person did come that month."""
    counts = _counts_by_period(
        Customer.objects.exclude(status=Status.MERGED),
        field="created_at",
        period=TruncMonth,
        starts=starts,
        group="source",
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
