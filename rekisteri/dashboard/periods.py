"""Weeks and months as the start pages count in them: Finnish ones, starting on Monday
and on the first day of the month at midnight in Helsinki (settings.TIME_ZONE),
daylight saving included."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.utils import timezone

MONTHS = 12
WEEKS = 12


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=local_zone())


def month_starts(now: datetime.datetime, months: int = MONTHS) -> list[datetime.datetime]:
    """The first moments of the last `months` months in Helsinki, this one last."""
    today = timezone.localtime(now, local_zone()).date()
    index = today.year * 12 + today.month - 1
    return [
        _midnight(datetime.date(month // 12, month % 12 + 1, 1))
        for month in range(index - months + 1, index + 1)
    ]


def week_starts(now: datetime.datetime, weeks: int = WEEKS) -> list[datetime.datetime]:
    """The Monday midnights in Helsinki that start the last `weeks` weeks, this one last."""
    today = timezone.localtime(now, local_zone()).date()
    monday = today - datetime.timedelta(days=today.weekday())
    return [_midnight(monday - datetime.timedelta(weeks=back)) for back in range(weeks - 1, -1, -1)]
