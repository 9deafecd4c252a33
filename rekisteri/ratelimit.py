"""Fixed-window rate limits in Django's cache.

The cache is per process (local memory) unless REKISTERI_REDIS_URL points all app
servers at one Redis; docs/security.md says which limits apply where."""

from __future__ import annotations

import time

from django.core.cache import cache


def _now() -> float:
    """The clock of the windows (a test starts it at a window's start)."""
    return time.time()


def _cache_key(key: str, now: float, window_seconds: int) -> str:
    return f"ratelimit:{key}:{int(now // window_seconds)}"


def _wait(now: float, window_seconds: int) -> int:
    return max(1, window_seconds - int(now % window_seconds))


def limit_hit(key: str, *, limit: int, window_seconds: int) -> int | None:
    """Counts one use of `key`. None while within `limit` uses per window; over it,
    the seconds until the window ends (for a Retry-After header)."""
    now = _now()
    cache_key = _cache_key(key, now, window_seconds)
    cache.add(cache_key, 0, timeout=window_seconds * 2)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this use opens the window again
        cache.set(cache_key, 1, timeout=window_seconds * 2)
        used = 1
    if used <= limit:
        return None
    return _wait(now, window_seconds)


def limit_reached(key: str, *, limit: int, window_seconds: int) -> int | None:
    """Whether `key` has had its `limit` uses in this window, without counting one:
    None if not, else the seconds until the window ends."""
    now = _now()
    used = cache.get(_cache_key(key, now, window_seconds), 0)
    if used < limit:
        return None
    return _wait(now, window_seconds)
