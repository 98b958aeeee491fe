"""The shared cache on Redis, answering "not cached" instead of failing.

The cache only speeds pages up and counts sign-ups for the rate limit; nothing is stored
only there. So whenever Redis cannot serve a call (unreachable, timed out, full under
`noeviction`, or any other RedisError), reads miss, writes are dropped and counters start
from zero, and every page still works from the database. A value this code cannot read
back (stored by an older release in a shape since changed) is a miss too.

Built on redis-py's public API with one client per process (redis.Redis is thread-safe
and pools its connections), rather than on Django's RedisCache, whose client is rebuilt
on every call and can only be swapped through private attributes. settings.py puts this
backend in place of Django's for any redis:// CACHE_URL.
"""

import itertools
import logging
import pickle
import time
from collections.abc import Iterable
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

logger = logging.getLogger(__name__)

WARN_EVERY_SECONDS = 60
# What unpickling a value written by other code can raise: a class moved or renamed, a
# truncated or foreign byte string.
UNREADABLE = (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError)


def _dumps(value: Any) -> bytes | int:
    # Plain integers stay integers so INCR works on them (the rate-limit counters).
    return value if type(value) is int else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes) -> Any:
    try:
        return int(data)
    except ValueError:
        return pickle.loads(data)  # noqa: S301 - our own Redis, our own values


class TolerantRedisCache(BaseCache):
    """Django's cache API on Redis; every Redis failure is logged once a minute and
    answered as a miss (reads), a no-op (writes) or "key not found" (incr)."""

    _last_warning = 0.0

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = dict(params.get("OPTIONS") or {})
        self._client = redis.Redis.from_url(server, **options)

    def _failed(self, error: Exception) -> None:
        # Once a minute per process: an outage must not flood the logs line per request.
        now = time.monotonic()
        if now - TolerantRedisCache._last_warning >= WARN_EVERY_SECONDS:
            TolerantRedisCache._last_warning = now
            logger.warning("cache unavailable, serving without it: %s", error)

    def _ttl(self, timeout: float | None) -> int | None:
        timeout = self.get_backend_timeout(timeout)
        return None if timeout is None else max(0, int(timeout))

    def _read(self, data: bytes | None, default: Any = None) -> Any:
        if data is None:
            return default
        try:
            return _loads(data)
        except UNREADABLE:
            return default

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        try:
            data = self._client.get(key)
        except redis.RedisError as error:
            self._failed(error)
            return default
        return self._read(data, default)

    def get_many(self, keys: Iterable[str], version: int | None = None) -> dict[str, Any]:
        keys = list(keys)
        if not keys:
            return {}
        made = [self.make_and_validate_key(key, version=version) for key in keys]
        try:
            values = self._client.mget(made)
        except redis.RedisError as error:
            self._failed(error)
            return {}
        missing = object()
        found = {key: self._read(data, missing) for key, data in zip(keys, values, strict=True)}
        return {key: value for key, value in found.items() if value is not missing}

    def has_key(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        try:
            return bool(self._client.exists(key))
        except redis.RedisError as error:
            self._failed(error)
            return False

    def _store(self, key: str, value: Any, timeout: float | None, *, only_new: bool) -> bool:
        ttl = self._ttl(timeout)
        if ttl == 0:
            # Django's meaning of a zero timeout: expire at once.
            self._client.delete(key)
            return False
        return bool(self._client.set(key, _dumps(value), ex=ttl, nx=only_new))

    def add(self, key: str, value: Any, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        try:
            return self._store(key, value, timeout, only_new=True)
        except redis.RedisError as error:
            self._failed(error)
            return False

    def set(self, key: str, value: Any, timeout=DEFAULT_TIMEOUT, version=None) -> None:
        key = self.make_and_validate_key(key, version=version)
        try:
            self._store(key, value, timeout, only_new=False)
        except redis.RedisError as error:
            self._failed(error)

    def set_many(self, data: dict[str, Any], timeout=DEFAULT_TIMEOUT, version=None) -> list:
        ttl = self._ttl(timeout)
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key, value in data.items():
                    made = self.make_and_validate_key(key, version=version)
                    if ttl == 0:
                        pipe.delete(made)
                    else:
                        pipe.set(made, _dumps(value), ex=ttl)
                pipe.execute()
        except redis.RedisError as error:
            self._failed(error)
            return list(data)
        return []

    def touch(self, key: str, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        ttl = self._ttl(timeout)
        try:
            if ttl is None:
                return bool(self._client.persist(key))
            return bool(self._client.expire(key, ttl))
        except redis.RedisError as error:
            self._failed(error)
            return False

    def delete(self, key: str, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        try:
            return bool(self._client.delete(key))
        except redis.RedisError as error:
            self._failed(error)
            return False

    def delete_many(self, keys: Iterable[str], version: int | None = None) -> None:
        made = [self.make_and_validate_key(key, version=version) for key in keys]
        if not made:
            return
        try:
            self._client.delete(*made)
        except redis.RedisError as error:
            self._failed(error)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        made = self.make_and_validate_key(key, version=version)
        try:
            if not self._client.exists(made):
                raise ValueError(f"Key '{key}' not found.")
            return self._client.incr(made, delta)
        except redis.RedisError as error:
            self._failed(error)
            # What incr() says for a missing key: callers already handle it.
            raise ValueError(f"Key '{key}' not found (cache unavailable).") from error

    def count_many(self, periods: dict[str, int], version: int | None = None) -> dict[str, int]:
        """Count one hit in each counter (key -> seconds it lives after its first hit) and
        return the new counts, in one round trip; {} when Redis cannot answer.

        INCR makes a missing counter at 1 and EXPIRE ... NX gives it its lifetime only
        then, both in one MULTI, so a counter can neither miss its expiry nor live on."""
        made = {key: self.make_and_validate_key(key, version=version) for key in periods}
        pipe = self._client.pipeline(transaction=True)
        for key, seconds in periods.items():
            pipe.incr(made[key])
            pipe.expire(made[key], seconds, nx=True)
        try:
            replies = pipe.execute()
        except redis.RedisError as error:
            self._failed(error)
            return {}
        return dict(zip(periods, replies[::2], strict=True))

    def clear(self) -> None:
        """Everything this cache stored: the keys under its KEY_PREFIX when it has one (the
        database may be shared), else the whole database."""
        try:
            if not self.key_prefix:
                self._client.flushdb()
                return
            keys = self._client.scan_iter(match=f"{self.key_prefix}:*", count=1000)
            for batch in itertools.batched(keys, 500):
                self._client.delete(*batch)
        except redis.RedisError as error:
            self._failed(error)

    def close(self, **kwargs: Any) -> None:
        # One client for the life of the process: its pool keeps the connections.
        pass
