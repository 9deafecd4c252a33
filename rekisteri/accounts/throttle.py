"""Sign-in throttling per account, whatever the address (security review finding 7).

django-axes locks a username out per address only, so a guesser who rotates addresses
would get unlimited tries. Here every failed sign-in of an account counts, from any
address: after settings.SIGN_IN_THROTTLE_AFTER failures in a row each further attempt
waits 1, 2, 4, ... seconds, at most settings.SIGN_IN_THROTTLE_MAX_SECONDS, and during
the wait the password is not even checked (the answer is 429 with the wait). The cap
keeps a stranger from shutting a staff member out for long, and a browser the account
has signed in from before (a signed cookie) is not made to wait at all, so a stranger
who keeps guessing does not keep the staff member out.

Accounts keep their count in a row (SignInThrottle), shared by every app server.
Usernames that are no account are counted the same way, by a keyed digest in the
cache only, so that the answers do not tell which usernames exist, and so that no
typed name is stored (finding 11)."""

from __future__ import annotations

import datetime
import hashlib
import math

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from rekisteri.accounts.models import SignInThrottle, User

# A failure this long after the previous one starts the count again.
FORGET_AFTER = datetime.timedelta(days=1)
KNOWN_DEVICE_COOKIE = "rekisteri_known_device"
KNOWN_DEVICE_SALT = "rekisteri.accounts.known-device"
KNOWN_DEVICE_DAYS = 180
KNOWN_DEVICE_ACCOUNTS = 5  # a shared computer remembers this many accounts at most


def _now() -> datetime.datetime:
    return timezone.now()


def wait_after(failures: int) -> int:
    """The seconds an account waits after `failures` failed sign-ins in a row."""
    over = failures - settings.SIGN_IN_THROTTLE_AFTER
    if over < 0:
        return 0
    return int(min(settings.SIGN_IN_THROTTLE_MAX_SECONDS, 2 ** min(over, 30)))


def _cache_key(username: str) -> str:
    digest = hashlib.blake2b(
        username.strip().lower().encode("utf-8"),
        key=settings.SECRET_KEY.encode("utf-8")[:64],
        digest_size=16,
    ).hexdigest()
    return f"sign-in-throttle:{digest}"


def sign_in_wait(*, request: HttpRequest, username: str) -> int:
    """Seconds to wait before `username`'s password may be checked again; 0: go on."""
    user = User.objects.filter(username=username).first()
    if user is not None and is_known_device(request, user):
        return 0
    if user is None:
        blocked_until = (cache.get(_cache_key(username)) or {}).get("blocked_until")
    else:
        blocked_until = (
            SignInThrottle.objects.filter(user=user).values_list("blocked_until", flat=True).first()
        )
    if not isinstance(blocked_until, datetime.datetime):
        return 0
    left = (blocked_until - _now()).total_seconds()
    return max(0, math.ceil(left))


def _counted(
    failures: int, last_failure_at: datetime.datetime | None, now: datetime.datetime
) -> int:
    if last_failure_at is None or now - last_failure_at > FORGET_AFTER:
        return 1
    return failures + 1


def sign_in_failed(*, username: str) -> None:
    """Counts a failed sign-in of `username` (checked, not refused for waiting)."""
    now = _now()
    user = User.objects.filter(username=username).first()
    if user is None:
        state = cache.get(_cache_key(username)) or {}
        failures = _counted(state.get("failures", 0), state.get("last_failure_at"), now)
        wait = wait_after(failures)
        cache.set(
            _cache_key(username),
            {
                "failures": failures,
                "last_failure_at": now,
                "blocked_until": now + datetime.timedelta(seconds=wait) if wait else None,
            },
            timeout=int(FORGET_AFTER.total_seconds()),
        )
        return
    try:
        with transaction.atomic():
            SignInThrottle.objects.get_or_create(user=user)
    except IntegrityError:
        pass  # created at the same moment by another request
    with transaction.atomic():
        row = SignInThrottle.objects.select_for_update().get(user=user)
        row.failures = _counted(row.failures, row.last_failure_at, now)
        row.last_failure_at = now
        wait = wait_after(row.failures)
        row.blocked_until = now + datetime.timedelta(seconds=wait) if wait else None
        row.save()


def sign_in_succeeded(*, user: User) -> None:
    """The right password: the count starts again."""
    SignInThrottle.objects.filter(user=user).delete()


def _known_accounts(request: HttpRequest) -> list[int]:
    try:
        value = signing.loads(
            request.COOKIES.get(KNOWN_DEVICE_COOKIE, ""),
            salt=KNOWN_DEVICE_SALT,
            max_age=datetime.timedelta(days=KNOWN_DEVICE_DAYS),
        )
    except signing.BadSignature:
        return []
    return [int(pk) for pk in value] if isinstance(value, list) else []


def is_known_device(request: HttpRequest, user: User) -> bool:
    """This browser has signed in to `user`'s account before."""
    return user.pk in _known_accounts(request)


def remember_device(request: HttpRequest, response: HttpResponse, user: User) -> None:
    """After a successful sign-in: this browser is not made to wait for the account."""
    accounts = [user.pk, *(pk for pk in _known_accounts(request) if pk != user.pk)]
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        signing.dumps(accounts[:KNOWN_DEVICE_ACCOUNTS], salt=KNOWN_DEVICE_SALT),
        max_age=KNOWN_DEVICE_DAYS * 24 * 60 * 60,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
