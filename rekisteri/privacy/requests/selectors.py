"""Reads of subject requests."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from rekisteri.customers.models import Customer
from rekisteri.privacy.models import (
    NoticeStatus,
    RequestKind,
    RequestNotice,
    RequestStatus,
    SubjectRequest,
)
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


def request_notices(request: SubjectRequest) -> QuerySet[RequestNotice]:
    """What the person and the recipients were told about the request, oldest first."""
    return request.notices.select_related("disclosure").order_by("created_at", "pk")


def notices_untold(request: SubjectRequest, *, since: datetime.datetime) -> QuerySet[RequestNotice]:
    """The request's notices made since `since` that no email can carry: staff tell
    those people another way."""
    return request.notices.filter(
        created_at__gte=since, status__in=[NoticeStatus.NO_ADDRESS, NoticeStatus.FAILED]
    )


def rectification_requests_open(customer: Customer) -> QuerySet[SubjectRequest]:
    """The customer's open rectification requests, which an edit of their data may be
    made for."""
    return SubjectRequest.objects.filter(
        customer=customer, kind=RequestKind.RECTIFICATION, status=RequestStatus.OPEN
    ).order_by("received_at", "pk")
