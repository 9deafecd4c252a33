"""A staff member's signed-in sessions: recorded at sign-in, so that they can see their
other sessions (since when, from which address, last active) and end them; and when
the session last confirmed who it is (the password or a code, signing in counts).

Only a SHA-256 digest of a session key is stored: the key itself is what signs a
browser in. Ending a session finds the session with that digest among the unexpired
ones and deletes it, which needs sessions in the database (Django's `db` or `cached_db`
session engine, the default here)."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from rekisteri.accounts.models import StaffSession, User
from rekisteri.accounts.session_keys import SESSION_AUTH_AT, SESSION_RECORD, SESSION_RENEW_SECONDS
from rekisteri.audit.models import Action
from rekisteri.audit.services import Actor, audit_record, audited_transaction

USER_AGENT_LENGTH = 200


def _digest(session_key: str | None) -> str:
    return hashlib.sha256((session_key or "").encode("ascii")).hexdigest()


def _live(user: User, *, now: datetime.datetime) -> Q:
    """Sessions not past their idle time (renewed once a minute while in use) nor
    past the absolute limit since sign-in."""
    idle = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + SESSION_RENEW_SECONDS)
    absolute = datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)
    return Q(user=user, last_seen__gte=now - idle, started_at__gte=now - absolute)


def session_started(request: HttpRequest, user: User) -> None:
    """Records the session a sign-in just made (its key is new: login() cycles it)."""
    now = timezone.now()
    StaffSession.objects.filter(user=user).exclude(_live(user, now=now)).delete()
    record = StaffSession.objects.create(
        user=user,
        session_key_hash=_digest(_key_of(request)),
        started_at=now,
        last_seen=now,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
    )
    request.session[SESSION_RECORD] = record.pk


def _own_record(request: HttpRequest) -> QuerySet[StaffSession]:
    record = request.session.get(SESSION_RECORD)
    if record is None or request.user.pk is None:
        return StaffSession.objects.none()
    return StaffSession.objects.filter(pk=int(record), user_id=request.user.pk)


def session_rekeyed(request: HttpRequest) -> None:
    """The session has a new key (re-authentication, a password change): follow it."""
    _own_record(request).update(session_key_hash=_digest(_key_of(request)))


def mark_authenticated(request: HttpRequest) -> None:
    """The staff member just gave their password or a code in this session."""
    request.session[SESSION_AUTH_AT] = timezone.now().timestamp()


def is_recently_authenticated(request: HttpRequest) -> bool:
    """The password or a code was given in this session within settings.REAUTH_SECONDS."""
    authenticated_at = request.session.get(SESSION_AUTH_AT)
    if authenticated_at is None:
        return False
    return timezone.now().timestamp() - float(authenticated_at) <= settings.REAUTH_SECONDS


def session_seen(request: HttpRequest) -> None:
    _own_record(request).update(last_seen=timezone.now())


def session_ended(request: HttpRequest) -> None:
    """The session signs out (or runs out): it is no longer listed."""
    record = request.session.get(SESSION_RECORD)
    if record is not None:
        StaffSession.objects.filter(pk=record).delete()


def _key_of(request: HttpRequest) -> str:
    if request.session.session_key is None:
        request.session.save()
    return str(request.session.session_key)


@dataclass(frozen=True)
class SessionRow:
    record: StaffSession
    current: bool


def sessions_of(request: HttpRequest) -> list[SessionRow]:
    """The signed-in staff member's live sessions, this one first."""
    user = request.user
    assert isinstance(user, User)
    current = request.session.get(SESSION_RECORD)
    records = StaffSession.objects.filter(_live(user, now=timezone.now())).order_by("-last_seen")
    rows = [SessionRow(record=r, current=r.pk == current) for r in records]
    return sorted(rows, key=lambda row: not row.current)


def sessions_end(*, request: HttpRequest, record_id: int | None = None) -> int:
    """Ends one of the staff member's other sessions (`record_id`), or all of them;
    never this one. Returns how many ended; audited when any did."""
    actor = Actor.from_request(request)
    user = actor.user
    assert user is not None
    others = StaffSession.objects.filter(user=user).exclude(
        pk__in=_own_record(request).values("pk")
    )
    if record_id is not None:
        others = others.filter(pk=record_id)
    with audited_transaction():
        records = list(others.select_for_update())
        if not records:
            return 0
        _delete_sessions({record.session_key_hash for record in records})
        StaffSession.objects.filter(pk__in=[record.pk for record in records]).delete()
        audit_record(
            actor=actor, action=Action.SESSION_END, obj=user, reason=f"{len(records)} sessions"
        )
    return len(records)


def _delete_sessions(digests: set[str]) -> None:
    """Deletes the unexpired sessions whose keys have these digests. A scan of the
    session keys: ending a session is rare, and no key is stored anywhere else."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = Session.objects.filter(expire_date__gt=timezone.now()).values_list(
        "session_key", flat=True
    )
    for key in keys.iterator():
        if _digest(key) in digests:
            store(session_key=key).delete()
