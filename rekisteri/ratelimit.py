"""Fixed-window rate limits in Django's cache.

The cache is per process (local memory) unless REKISTERI_REDIS_URL points all app
servers at one Redis; docs/security.md says which limits apply where."""

from __future__ import annotations

import time

from django.core.cache import cache


def limit_hit(key: str, *, limit: int, window_seconds: int) -> int | None:
    """Counts one use of `key`. None while within `limit` uses per window; over it,
    the seconds until the window ends (for a Retry-After header)."""
    now = time.time()
    window = int(now // window_seconds)
    cache_key = f"ratelimit:{key}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds * 2)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this use opens the window again
        cache.set(cache_key, 1, timeout=window_seconds * 2)
        used = 1
    if used <= limit:
        return None
    return max(1, window_seconds - int(now % window_seconds))
