"""Rate-limit counters: the key shared by the posting, support and search limits, and
the storage that keeps counting when Redis is away.

Redis shares the counters of every worker and server; it is an accelerator, never a
dependency. ``RATELIMIT_STORAGE_URI`` names it ``fallback+redis://…`` (config.py), which
``limits`` maps to ``FallbackRedisStorage``: each call goes to Redis, and when Redis
fails (refused, timed out, restarting) to this process's memory, with one log line for
the outage (forum.core.outages); Redis is tried again once a second and, once it
answers, counts go there again (what was counted in memory meanwhile is not carried
over). Flask-Limiter and the login lockouts (forum/auth/safety.py) both count through it.
"""
import time

from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits.storage import MemoryStorage, RedisStorage, Storage
from redis.backoff import NoBackoff
from redis.retry import Retry

from forum.core import outages

FALLBACK_PREFIX = "fallback+"
# Seconds between two tries of an unreachable Redis (per storage, per process).
REDIS_RETRY_SECONDS = 1.0
DEFAULT_REDIS_TIMEOUT_SECONDS = 0.5


def user_or_address_key() -> str:
    """Per user when logged in (delegates often share one office address), else per
    client address (the real one behind ``TRUSTED_PROXIES``)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{get_remote_address()}"


class FallbackRedisStorage(Storage):
    """Redis, or this process's memory while Redis cannot be reached."""

    STORAGE_SCHEME = ["fallback+redis", "fallback+rediss", "fallback+redis+unix"]
    DEPENDENCIES = ["redis"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        timeout = float(options.pop("timeout", DEFAULT_REDIS_TIMEOUT_SECONDS))
        options.setdefault("socket_connect_timeout", timeout)
        options.setdefault("socket_timeout", timeout)
        # redis-py retries a failed command three times with backoff by default: a
        # request would wait for each retry of a Redis that is down.
        options.setdefault("retry", Retry(NoBackoff(), 0))
        self.redis = RedisStorage(uri.removeprefix(FALLBACK_PREFIX), **options)
        self.memory = MemoryStorage()
        self._failed_at: float | None = None

    @property
    def base_exceptions(self):
        return self.redis.base_exceptions

    @property
    def in_fallback(self) -> bool:
        return self._failed_at is not None

    def _call(self, method: str, *args, **kwargs):
        if self._failed_at is not None and time.monotonic() - self._failed_at < REDIS_RETRY_SECONDS:
            return getattr(self.memory, method)(*args, **kwargs)
        try:
            result = getattr(self.redis, method)(*args, **kwargs)
        except self.redis.base_exceptions as error:
            self._failed_at = time.monotonic()
            outages.begin(
                outages.REDIS, error,
                meanwhile="rate limits and login lockouts are counted in each process's memory until it is back",
            )
            return getattr(self.memory, method)(*args, **kwargs)
        if self._failed_at is not None:
            self._failed_at = None
            outages.end(outages.REDIS)
        return result

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount=amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def clear(self, key: str) -> None:
        return self._call("clear", key)

    def reset(self) -> int | None:
        self.memory.reset()
        return self._call("reset")

    def check(self) -> bool:
        """Healthy when Redis answers; the fallback keeps the limits working either way."""
        return self.redis.check()


def memory_storage_warning(*, production: bool, storage_uri: str | None, workers: int) -> str | None:
    """The warning for production with several worker processes and rate limits (and login
    lockouts) counted in process memory: each worker would count alone, multiplying every
    limit by the number of workers. None when there is nothing to warn about."""
    in_memory = not storage_uri or storage_uri.startswith("memory://")
    if not production or not in_memory or workers <= 1:
        return None
    return (
        f"{workers} gunicorn workers count rate limits and login lockouts in their own memory, "
        f"so every limit is {workers} times higher than configured: set REDIS_URL to share them."
    )
