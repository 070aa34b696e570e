"""The Redis cache that degrades instead of failing.

Everything the project keeps in the cache (whole public pages, public organisation data, rate
limit and lock-out counters, one-use human-check tokens, duplicate-submission marks) can be
rebuilt or recounted, so Redis being unreachable must never turn a page into a 500. Here a
Redis error is a miss: the operation goes to a per-process local-memory cache instead (so rate
limits and lock-outs still count, per process, while Redis is away), the error is logged at
most once a minute, and Redis is not tried again for ``RETRY_AFTER`` seconds, so a request
with many cache calls pays the connect timeout at most once.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Errors that mean "Redis is not there (now)". OSError covers refused and unreachable sockets
# that surface before redis-py wraps them.
UNAVAILABLE = (RedisError, OSError)
LOG_INTERVAL = 60.0  # seconds between two log lines about the same cache being down

# Per process, shared by the per-thread cache instances: location → monotonic time until which
# Redis is skipped, and location → time of the last log line.
_down_until: dict[str, float] = {}
_last_logged: dict[str, float] = {}
_lock = threading.Lock()


def _guarded(name: str):
    def method(self, *args, **kwargs):
        if _down_until.get(self._location, 0.0) > time.monotonic():
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            return getattr(RedisCache, name)(self, *args, **kwargs)
        except UNAVAILABLE as exc:
            self._went_down(exc)
            return getattr(self._fallback, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``RedisCache.{name}``; on a Redis error, the local fallback's."
    return method


class ResilientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with short socket timeouts (OPTIONS
    ``socket_connect_timeout``/``socket_timeout``, 0.5 s unless set) and a local fallback."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("RETRY_AFTER", 5.0))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        fallback_params = {
            key: params[key] for key in ("TIMEOUT", "KEY_PREFIX", "VERSION") if key in params
        }
        self._fallback = LocMemCache(f"resilient-fallback:{self._location}", fallback_params)

    def _went_down(self, exc: Exception) -> None:
        now = time.monotonic()
        with _lock:
            _down_until[self._location] = now + self.retry_after
            if now - _last_logged.get(self._location, -LOG_INTERVAL) < LOG_INTERVAL:
                return
            _last_logged[self._location] = now
        # The location may carry a password: log the host part only.
        host = self._location.rsplit("@", 1)[-1]
        logger.warning(
            "缓存 Redis（%s）不可用，按未命中处理并改用本进程内存：%s: %s",
            host,
            type(exc).__name__,
            exc,
        )

    add = _guarded("add")
    get = _guarded("get")
    set = _guarded("set")
    touch = _guarded("touch")
    delete = _guarded("delete")
    get_many = _guarded("get_many")
    has_key = _guarded("has_key")
    incr = _guarded("incr")
    set_many = _guarded("set_many")
    delete_many = _guarded("delete_many")
    clear = _guarded("clear")
