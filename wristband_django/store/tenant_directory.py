"""Which tenant id a tenant name or tenant custom domain belongs to, as this site learned it.

A bearer access token names its tenant only by id (``tnt_id``, signed), while a request's
host names a tenant by name (``<tenant>.<root domain>``) or custom domain. The pairs come
only from what this site confirmed itself: a login completed by the Callback endpoint (the
login state bound the tenant's name and host, the tokens signed its id), or a session that
is accepted on its own tenant's host. Never from a callback's unsigned parameters: an
application-level login's tenant is kept only once confirmed (``flows.tenant_confirmation``).

A third kind of pair, ``AUTHORIZE_HOST``, is the Wristband tenant host a tenant-level login's
authorize request went to and the id Wristband signed for it (a tenant host issues codes for
its own tenant only); it is what confirms the tenant an application-level login's callback
names.

The pairs are kept in the lock cache (shared by every process, like the refresh locks), for
``ENTRY_SECONDS`` after the last login or session that confirmed them, with a small
per-process memory in front so that a known pair costs no cache round trip. Cache keys are
hashes: no tenant name is a key in the cache.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict

from wristband_django.conf import register_cache_reset
from wristband_django.errors import StoreUnavailableError
from wristband_django.store.locks import lock_cache
from wristband_django.store.outages import STORE_ERRORS

#: How long the cache keeps a pair after the last login or session that confirmed it.
ENTRY_SECONDS = 30 * 24 * 3600
#: How long this process trusts a pair it read or wrote without asking the cache again.
MEMORY_SECONDS = 300.0
#: How long this process remembers that the cache knew no tenant for a name or domain.
UNKNOWN_SECONDS = 30.0
#: Pairs this process remembers at most (the least recently used go first).
MEMORY_SIZE = 4096

NAME = "name"
CUSTOM_DOMAIN = "custom_domain"
#: A Wristband tenant host (``{tenant}-{vanity}``, ``{tenant}.{vanity}`` or a tenant custom
#: domain) that a bound login's authorize request went to.
AUTHORIZE_HOST = "authorize_host"


class _Memory:
    """A bounded, thread-safe memory of ``(kind, value) -> (tenant id, until)``; an empty
    tenant id records that the cache knew none."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pairs: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()

    def clear(self) -> None:
        with self.lock:
            self.pairs.clear()

    def get(self, key: tuple[str, str]) -> str | None:
        with self.lock:
            found = self.pairs.get(key)
            if found is None or found[1] < time.monotonic():
                return None
            self.pairs.move_to_end(key)
            return found[0]

    def put(self, key: tuple[str, str], tenant_id: str, seconds: float = MEMORY_SECONDS) -> None:
        with self.lock:
            self.pairs[key] = (tenant_id, time.monotonic() + seconds)
            self.pairs.move_to_end(key)
            while len(self.pairs) > MEMORY_SIZE:
                self.pairs.popitem(last=False)


_memory = _Memory()
register_cache_reset(_memory.clear)


def _cache_key(kind: str, value: str) -> str:
    digest = hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()[:40]
    return f"wristband:tenant:{digest}"


def remember(kind: str, value: str, tenant_id: str) -> None:
    """Record that the tenant ``kind`` ``value`` (a name or a custom domain) has ``tenant_id``.

    Writes to the cache only when this process has not confirmed the same pair within
    ``MEMORY_SECONDS``; a cache that does not answer is not an error here (the pair is
    learned again from the next login or session).
    """
    key = (kind, value)
    if _memory.get(key) == tenant_id:
        return
    try:
        lock_cache().set(_cache_key(kind, value), tenant_id, ENTRY_SECONDS)
    except STORE_ERRORS:
        return
    _memory.put(key, tenant_id)


def tenant_id_of(kind: str, value: str) -> str | None:
    """Return the tenant id this site learned for the tenant ``kind`` ``value``, if any.

    Raises ``StoreUnavailableError`` when the cache does not answer.
    """
    key = (kind, value)
    known = _memory.get(key)
    if known is not None:
        return known or None
    try:
        found = lock_cache().get(_cache_key(kind, value))
    except STORE_ERRORS as exc:
        raise StoreUnavailableError(type(exc).__name__) from exc
    if not isinstance(found, str) or not found:
        _memory.put(key, "", UNKNOWN_SECONDS)
        return None
    _memory.put(key, found)
    return found
