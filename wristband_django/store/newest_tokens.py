"""The newest tokens of each session, kept beside it in the lock cache.

A request that loaded the session before another one refreshed it would, on saving its
own changes, write the old tokens back: with refresh-token rotation the old refresh token
is dead, and presenting it again revokes the whole token family (the user is logged out).
The refresh publishes its tokens here (encrypted, like the session's); the middleware
puts them back into any session that is about to be saved with older ones, and a refresh
starts from the newest copy.

"Has someone refreshed already?" is decided on this record as the primary holds it: on
django-redis it is read through the client that writes, never from a replica that may lag
(a Sentinel or primary/replica setup), so a stale read cannot start a second refresh.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from django.conf import settings

from wristband_django.store.locks import lock_cache, record_cache_key
from wristband_django.store.sealing import TokenDecryptionError
from wristband_django.store.session_entry import open_tokens, seal_tokens
from wristband_django.types import WristbandSession

#: The fields of a newest-tokens record.
RECORD_FIELDS = ("access_token", "refresh_token", "expires_at", "refreshed_at")
#: How long a refresh waits for a replica to confirm its tokens (only with replicas).
REPLICATION_WAIT_MS = 1000

logger = logging.getLogger(__name__)


def _key(session_key: str) -> str:
    return record_cache_key("tokens", session_key)


def publish(session_key: str, entry: WristbandSession) -> None:
    """Publish a refresh's tokens. On django-redis with replicas, also wait (Redis ``WAIT``,
    at most ``REPLICATION_WAIT_MS``) until a replica has this record and every write made
    before it (the session's): a failover right after the refresh cannot lose them."""
    record = seal_tokens({name: getattr(entry, name) for name in RECORD_FIELDS})
    cache = lock_cache()
    client = _writing_client(cache)
    if client is None or not client.info("replication").get("connected_slaves"):
        cache.set(_key(session_key), record, timeout=settings.SESSION_COOKIE_AGE)
        return
    backend: Any = cache.client  # type: ignore[attr-defined]
    pipe = client.pipeline(transaction=False)  # one connection: WAIT covers its writes
    pipe.set(
        backend.make_key(_key(session_key)),
        backend.encode(record),
        ex=settings.SESSION_COOKIE_AGE,
    )
    pipe.wait(1, REPLICATION_WAIT_MS)
    _, replicas = pipe.execute()
    if not replicas:
        logger.warning("No replica confirmed a refresh's tokens in %d ms", REPLICATION_WAIT_MS)


def _writing_client(cache: Any) -> Any:
    """Return django-redis's client for the primary (``None`` on other caches)."""
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    return get_client(write=True) if get_client is not None else None


def _read_current(key: str) -> Any:
    """Read ``key`` as the primary holds it (django-redis: its writing client), else as read."""
    cache = lock_cache()
    client = _writing_client(cache)
    if client is not None:
        return cache.get(key, client=client)  # type: ignore[call-arg]
    return cache.get(key)


def newest(session_key: str, entry: WristbandSession) -> WristbandSession:
    """Return ``entry`` with the published tokens if those are newer, else ``entry`` itself."""
    record: Any = _read_current(_key(session_key))
    if not isinstance(record, dict) or set(record) != set(RECORD_FIELDS):
        return entry
    if (record["refreshed_at"] or 0) <= (entry.refreshed_at or 0):
        return entry
    try:
        return replace(entry, **open_tokens(record))
    except TokenDecryptionError:
        return entry


def forget(session_key: str) -> None:
    lock_cache().delete(_key(session_key))
