"""The fixed-window rate limit, in local memory and in a shared Redis."""

import socket
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings

from rekisteri.ratelimit import limit_hit


def test_uses_within_the_limit_pass_and_the_next_waits():
    key = f"test:{uuid.uuid4()}"

    results = [limit_hit(key, limit=3, window_seconds=60) for _ in range(4)]

    assert results[:3] == [None, None, None]
    assert results[3] is not None and 1 <= results[3] <= 60


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_the_limit_is_shared_through_redis():
    redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"rekisteri-test-{uuid.uuid4()}",
        }
    }
    with override_settings(CACHES=redis):
        caches.close_all()
        key = f"test:{uuid.uuid4()}"
        assert [limit_hit(key, limit=1, window_seconds=60) for _ in range(2)][1] is not None
    caches.close_all()
