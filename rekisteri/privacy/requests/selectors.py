"""Reads of subject requests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from rekisteri.privacy.models import RequestStatus, SubjectRequest
from rekisteri.privacy.requests.services import deadline, unconfirmed_portal_requests

OPEN_STATUSES = (RequestStatus.AWAITING_VERIFICATION, RequestStatus.OPEN)


@dataclass(frozen=True)
class BoardRow:
    request: SubjectRequest
    deadline: datetime.date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def overdue_days(self) -> int:
        return -self.days_left


def request_board(*, today: datetime.date | None = None) -> list[BoardRow]:
    """The requests not closed, the nearest deadline first. Portal requests nobody has
    confirmed are left out: anyone can make them for any email."""
    today = today or timezone.localdate()
    requests = (
        SubjectRequest.objects.filter(status__in=OPEN_STATUSES)
        .exclude(pk__in=unconfirmed_portal_requests().values("pk"))
        .select_related("customer")
    )
    rows = [
        BoardRow(request, deadline(request), (deadline(request) - today).days)
        for request in requests
    ]
    return sorted(rows, key=lambda row: (row.deadline, row.request.pk))


def requests_closed() -> QuerySet[SubjectRequest]:
    return (
        SubjectRequest.objects.exclude(status__in=OPEN_STATUSES)
        .select_related("customer", "handled_by")
        .order_by("-closed_at", "-pk")
    )


def request_get(*, public_id: str) -> SubjectRequest | None:
    return (
        SubjectRequest.objects.select_related("customer", "recorded_by", "handled_by")
        .filter(public_id=public_id)
        .first()
    )
