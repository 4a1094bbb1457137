"""Per-session locks in a shared cache: at most one token refresh per session at a time.

On django-redis the lock is redis-py's (SET NX PX with an owner token, released by a
Lua script's compare-and-delete). On other caches (Django's own ``RedisCache``, Memcached,
the database cache, LocMem) it is an atomic ``cache.add`` with an expiry and an owner
token (on Django's ``RedisCache``: SET NX EX). Django's cache API has no compare-and-delete,
and Django's ``RedisCache`` offers its redis-py client only through undocumented internals,
so such a lock is released by ``get`` then ``delete``, and only while it cannot have expired
(``RELEASE_MARGIN_SECONDS``): until then ``cache.add`` fails for everyone else, so the key
deleted is still this holder's. A holder that comes back later leaves its lock to expire.

The lock cache is ``lock_cache_alias``, else the session cache for cache-based session
engines, else ``default``. Across processes that cache must be shared (Redis, Memcached, a
database cache): a LocMem cache only locks within one process.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.core.cache import BaseCache, caches

from wristband_django import telemetry
from wristband_django.conf import get_config
from wristband_django.store.locations import lock_cache_alias
from wristband_django.store.outages import retry_until_answered

POLL_SECONDS = 0.02
#: A ``cache.add`` lock is deleted only if this much of its lifetime is left, so that the
#: ``get`` and ``delete`` of its release both reach the cache before it can have expired
#: (Memcached counts expiry in whole seconds and may drop a key up to 1 s early).
RELEASE_MARGIN_SECONDS = 2.0

logger = logging.getLogger(__name__)


def lock_cache() -> BaseCache:
    return caches[lock_cache_alias(get_config().lock_cache_alias)]


def record_cache_key(purpose: str, session_key: str) -> str:
    """Return the cache key of this app's ``purpose`` record for a session (its lock, its
    newest tokens, ...), which does not reveal the session key itself."""
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:32]
    return f"wristband:{purpose}:{digest}"


@contextmanager
def session_lock(
    session_key: str, *, ttl: float, wait: float, release_retry: float = 0.0
) -> Iterator[bool]:
    """Hold the session's lock; yields False if it could not be had within ``wait`` seconds.

    ``ttl`` bounds how long a crashed holder can keep it; ``release_retry``: see
    ``cache_lock``.
    """
    key = record_cache_key("lock", session_key)
    asked_at = time.monotonic()
    with cache_lock(lock_cache(), key, ttl=ttl, wait=wait, release_retry=release_retry) as ok:
        telemetry.lock_wait("session", time.monotonic() - asked_at, acquired=ok)
        yield ok


@contextmanager
def cache_lock(
    cache: BaseCache, key: str, *, ttl: float, wait: float, release_retry: float = 0.0
) -> Iterator[bool]:
    """Hold the lock ``key`` in ``cache``: redis-py's on django-redis, an atomic ``cache.add``
    with an owner elsewhere (Django's own ``RedisCache`` included). Yields False if it could
    not be had within ``wait`` seconds; ``ttl`` bounds how long a crashed holder can keep it.

    On django-redis, a release the store does not answer (a Redis failover: the lock was
    replicated to the new primary) is retried for up to ``release_retry`` seconds, while
    the lock cannot have expired, so the session is not blocked for the lock's lifetime.
    """
    if hasattr(cache, "lock"):  # django-redis (Django's own RedisCache has no lock())
        lock = cache.lock(key, timeout=ttl, sleep=POLL_SECONDS, blocking_timeout=wait)
        acquired = bool(lock.acquire())
        expires_at = time.monotonic() + ttl
        try:
            yield acquired
        finally:
            if acquired:
                until = min(time.monotonic() + release_retry, expires_at - RELEASE_MARGIN_SECONDS)
                _release_redis_lock(lock, retry_until=until)
        return
    owner = secrets.token_hex(16)
    lifetime = math.ceil(ttl)
    deadline = time.monotonic() + wait
    while True:
        asked_at = time.monotonic()  # the key cannot expire before asked_at + lifetime
        acquired = cache.add(key, owner, timeout=lifetime)
        if acquired or time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    try:
        yield acquired
    finally:
        if acquired:
            _release_added_lock(
                cache, key, owner, until=asked_at + lifetime - RELEASE_MARGIN_SECONDS
            )


def _release_added_lock(cache: BaseCache, key: str, owner: str, *, until: float) -> None:
    """Delete a ``cache.add`` lock if it is still ``owner``'s, and only before ``until``
    (monotonic): up to then it cannot have expired, so no other holder can have added it
    between our ``get`` and our ``delete``. Later, it is left to expire on its own."""
    if time.monotonic() < until and cache.get(key) == owner and time.monotonic() < until:
        cache.delete(key)  # the clock is read again: the get may have been slow
    elif time.monotonic() >= until:
        logger.warning(
            "A lock was held to within %g s of its expiry: left to expire, not deleted "
            "(another holder may have it by then)",
            RELEASE_MARGIN_SECONDS,
        )


def _release_redis_lock(lock: object, *, retry_until: float = 0.0) -> None:
    from redis.exceptions import LockError

    token = lock.local.token  # type: ignore[attr-defined]  # (release() forgets it)

    def release() -> None:
        with suppress(LockError):  # expired meanwhile: someone else may hold it, leave it
            lock.do_release(token)  # type: ignore[attr-defined]

    retry_until_answered(release, until=retry_until, what="release a lock")
