"""Refusals of requests nobody has proved who sent: counted per source, not each an
event of the audit trail.

Anyone can send a request without an API key, a webhook without a valid signature or
a wrong password, and every audit event is permanent and takes the chain's lock; an
event per refusal would let a stranger grow the trail at will and hold up every
audited write. So:

- the first such refusal from a source in a window (REFUSAL_WINDOW_MINUTES) is an
  event at once, as before: a single wrong sign-in is seen at once;
- the later ones of the window only add one to its `RefusalTally` row, outside the
  chain's lock;
- once the window has closed, one more event carries the count. The next refusal
  that opens a window writes it, and so does `rekisteri audit flush-refusals` (a timer
  in deploy/);
- a source refused REFUSAL_RATE_PER_MINUTE times in a minute is answered 429 for the
  rest of the minute by `refusals_wait`, which reads only the cache.

A refusal of someone who has proved who they are (a signed-in staff member, an
integration by its key or signature) stays an event of its own."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from typing import ParamSpec

from django.conf import settings
from django.db import IntegrityError, models
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rekisteri.audit.models import RefusalTally
from rekisteri.audit.services import Actor, audit_record, audited_transaction
from rekisteri.ratelimit import limit_hit, limit_reached

P = ParamSpec("P")
RATE_WINDOW_SECONDS = 60
# Closed windows are written in batches, each in a transaction of its own, so that
# a flush after a wide flood does not hold the chain's lock for long.
FLUSH_BATCH = 200


def _rate_key(ip_address: str | None, scope: str) -> str:
    return f"refusals:{ip_address or '-'}:{scope}"


def refusals_wait(*, request: HttpRequest, scopes: Iterable[str] = ("",)) -> int | None:
    """The seconds until the request's address may be answered again, when it (or it
    within one of `scopes`, such as one webhook URL) has been refused too often this
    minute; None otherwise. Reads only the cache, never the database."""
    ip_address = request.META.get("REMOTE_ADDR") or None
    waits = [
        limit_reached(
            _rate_key(ip_address, scope),
            limit=settings.REFUSAL_RATE_PER_MINUTE,
            window_seconds=RATE_WINDOW_SECONDS,
        )
        for scope in scopes
    ]
    return max((wait for wait in waits if wait is not None), default=None)


def too_many_refusals(request: HttpRequest, wait: int) -> HttpResponse:
    """The 429 page for a person (the sign-in pages); it reads no session."""
    context = {"wait": wait, "business_name": settings.BUSINESS_NAME}
    response = render(request, "audit/too_many_refusals.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


def refusals_limited(view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """Answers a POST from an address refused too often this minute with 429 before the
    view reads anything."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        request = args[0]
        assert isinstance(request, HttpRequest)
        if request.method == "POST":
            wait = refusals_wait(request=request)
            if wait is not None:
                return too_many_refusals(request, wait)
        return view(*args, **kwargs)

    return wrapped


def refusal_window_start(moment: datetime.datetime) -> datetime.datetime:
    """The start of the counting window `moment` falls in (windows start on the epoch)."""
    seconds = max(1, settings.REFUSAL_WINDOW_MINUTES) * 60
    start = int(moment.timestamp()) // seconds * seconds
    return datetime.datetime.fromtimestamp(start, tz=datetime.UTC)


def refusal_record(
    *,
    actor: Actor,
    action: str,
    reason: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    scope: str = "",
) -> None:
    """Records one refusal of a request nobody has proved who sent.

    `actor` carries the client address; `obj` is the real account or integration the
    refusal names, counted apart from others (a failed sign-in stays the account's);
    `object_type`/`object_id` (a URL) only go into the first event, as a path is the
    caller's to vary. `scope` counts the refusal for the 429 limit with the address
    and that scope (one webhook URL) rather than the address alone."""
    limit_hit(
        _rate_key(actor.ip_address, scope),
        limit=settings.REFUSAL_RATE_PER_MINUTE,
        window_seconds=RATE_WINDOW_SECONDS,
    )
    now = timezone.now()
    reason = reason[:200]
    subject_type, subject_id = (obj._meta.label_lower, str(obj.pk)) if obj is not None else ("", "")
    window = RefusalTally.objects.filter(
        source=actor.ip_address or "",
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        reason=reason,
        window_start=refusal_window_start(now),
    )
    if window.update(count=F("count") + 1, last_at=now):
        return
    try:
        with audited_transaction():
            RefusalTally.objects.create(
                source=actor.ip_address or "",
                subject_type=subject_type,
                subject_id=subject_id,
                action=action,
                reason=reason,
                window_start=refusal_window_start(now),
                count=1,
                first_at=now,
                last_at=now,
                actor_type=actor.type,
                actor_label=actor.label[:150],
            )
            audit_record(
                actor=actor,
                action=action,
                obj=obj,
                object_type=object_type,
                object_id=object_id,
                reason=reason,
            )
    except IntegrityError:
        # Another request opened this window a moment ago and wrote its first event.
        window.update(count=F("count") + 1, last_at=now)
        return
    refusals_flush(now=now)


def _count_reason(tally: RefusalTally) -> str:
    """The refusal's reason with its count and span, e.g. `bad signature: 20 in all
    between 2026-12-07 04:02:03 and 04:09:41 UTC`."""
    first = tally.first_at.astimezone(datetime.UTC)
    last = tally.last_at.astimezone(datetime.UTC)
    last_format = "%H:%M:%S" if last.date() == first.date() else "%Y-%m-%d %H:%M:%S"
    span = (
        f"{tally.count} in all between {first:%Y-%m-%d %H:%M:%S} "
        f"and {last.strftime(last_format)} UTC"
    )
    return f"{tally.reason}: {span}" if tally.reason else span


def refusals_flush(*, now: datetime.datetime | None = None) -> int:
    """Closes every window that has ended: one event with the count for a window that
    had more than its first refusal (the first is already an event), and the row is
    deleted with it. Returns the number of windows closed."""
    before = refusal_window_start(now or timezone.now())
    closed = 0
    # Asked first without the chain's lock: nearly always there is nothing to close.
    while RefusalTally.objects.filter(window_start__lt=before).exists():
        with audited_transaction():
            tallies = list(
                RefusalTally.objects.select_for_update()
                .filter(window_start__lt=before)
                .order_by("last_at", "pk")[:FLUSH_BATCH]
            )
            for tally in tallies:
                if tally.count > 1:
                    audit_record(
                        actor=Actor(
                            type=tally.actor_type,
                            label=tally.actor_label,
                            ip_address=tally.source or None,
                        ),
                        action=tally.action,
                        object_type=tally.subject_type,
                        object_id=tally.subject_id,
                        reason=_count_reason(tally),
                    )
            RefusalTally.objects.filter(pk__in=[tally.pk for tally in tallies]).delete()
        closed += len(tallies)
    return closed
