"""Per-session locks in a shared cache: at most one token refresh per session at a time.

On django-redis the lock is redis-py's (SET NX PX with an owner token, released by a
Lua script); on other caches it is an atomic ``cache.add`` with an expiry. The lock cache
is ``lock_cache_alias``, else the session cache for cache-based session engines, else
``default``. Across processes that cache must be shared (Redis, Memcached, a database
cache): a LocMem cache only locks within one process.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches

from wristband_django.conf import get_config

CACHE_SESSION_ENGINES = (
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
)
POLL_SECONDS = 0.02


def lock_cache() -> BaseCache:
    alias = get_config().lock_cache_alias
    if alias is None:
        cache_sessions = settings.SESSION_ENGINE in CACHE_SESSION_ENGINES
        alias = settings.SESSION_CACHE_ALIAS if cache_sessions else DEFAULT_CACHE_ALIAS
    return caches[alias]


def session_cache_key(purpose: str, session_key: str) -> str:
    """A cache key for ``purpose`` that does not reveal the session key itself."""
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:32]
    return f"wristband:{purpose}:{digest}"


@contextmanager
def session_lock(session_key: str, *, ttl: float, wait: float) -> Iterator[bool]:
    """Hold the session's lock; yields False if it could not be had within ``wait`` seconds.

    ``ttl`` bounds how long a crashed holder can keep it.
    """
    with cache_lock(lock_cache(), session_cache_key("lock", session_key), ttl=ttl, wait=wait) as ok:
        yield ok


@contextmanager
def cache_lock(cache: BaseCache, key: str, *, ttl: float, wait: float) -> Iterator[bool]:
    """Hold the lock ``key`` in ``cache``: redis-py's on django-redis, an atomic ``cache.add``
    with an owner elsewhere. Yields False if it could not be had within ``wait`` seconds;
    ``ttl`` bounds how long a crashed holder can keep it."""
    if hasattr(cache, "lock"):  # django-redis
        lock = cache.lock(key, timeout=ttl, sleep=POLL_SECONDS, blocking_timeout=wait)
        acquired = bool(lock.acquire())
        try:
            yield acquired
        finally:
            if acquired:
                _release_redis_lock(lock)
        return
    owner = secrets.token_hex(16)
    deadline = time.monotonic() + wait
    acquired = cache.add(key, owner, timeout=math.ceil(ttl))
    while not acquired and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        acquired = cache.add(key, owner, timeout=math.ceil(ttl))
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == owner:
            cache.delete(key)


def _release_redis_lock(lock: object) -> None:
    from redis.exceptions import LockError

    with suppress(LockError):  # expired meanwhile: someone else may hold it now, leave it be
        lock.release()  # type: ignore[attr-defined]
