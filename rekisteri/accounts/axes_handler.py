"""django-axes' database handler, keeping sign-in records of real accounts only
(security review finding 11).

People type all kinds of things into the username field, their password among them;
axes would store each in its AccessAttempt rows. Here a name that is no account is
counted only in the cache, under a keyed digest with the address, for the same
lockout per address: the answers stay the same whether an account exists or not,
and nothing typed is kept. The rows axes does keep (attempts and sign-ins of real
accounts) are deleted after settings.ACCESS_LOG_DAYS by the retention run
(`access_log_prune`)."""

from __future__ import annotations

import hashlib
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.signals import user_locked_out
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from rekisteri.accounts.models import User

# Without a cool-off (a lockout until lifted) the cache keeps a count this long.
UNKNOWN_COUNT_SECONDS = 24 * 60 * 60


def _is_account(username: str | None) -> bool:
    return bool(username) and User.objects.filter(username=username).exists()


def _unknown_key(username: str | None, ip_address: str | None) -> str:
    digest = hashlib.blake2b(
        f"{(username or '').strip().lower()}\n{ip_address or ''}".encode(),
        key=settings.SECRET_KEY.encode("utf-8")[:64],
        digest_size=16,
    ).hexdigest()
    return f"axes-unknown:{digest}"


def _count_seconds() -> int:
    cool_off = get_cool_off()
    return int(cool_off.total_seconds()) if cool_off is not None else UNKNOWN_COUNT_SECONDS


class RealAccountsHandler(AxesDatabaseHandler):
    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        username = get_client_username(request, credentials) if request is not None else None
        if request is None or _is_account(username):
            super().user_login_failed(sender, credentials, request, **kwargs)
            return
        key = _unknown_key(username, request.axes_ip_address)  # type: ignore[attr-defined]  # set by axes
        cache.add(key, 0, timeout=_count_seconds())
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=_count_seconds())
            failures = 1
        request.axes_failures_since_start = failures  # type: ignore[attr-defined]  # read by axes
        if failures >= get_failure_limit(request, credentials):
            request.axes_locked_out = True  # type: ignore[attr-defined]  # read by axes
            request.axes_credentials = credentials  # type: ignore[attr-defined]  # read by axes
            user_locked_out.send(
                "axes",
                request=request,
                username=username,
                ip_address=request.axes_ip_address,  # type: ignore[attr-defined]  # set by axes
            )

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        username = get_client_username(request, credentials)
        if _is_account(username):
            return int(super().get_failures(request, credentials))
        ip_address = getattr(request, "axes_ip_address", None)
        return int(cache.get(_unknown_key(username, ip_address)) or 0)
