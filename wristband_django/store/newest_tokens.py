"""The newest tokens of each session, kept beside it in the lock cache.

A request that loaded the session before another one refreshed it would, on saving its
own changes, write the old tokens back: with refresh-token rotation the old refresh token
is dead, and presenting it again revokes the whole token family (the user is logged out).
The refresh publishes its tokens here (encrypted, like the session's); the middleware
puts them back into any session that is about to be saved with older ones, and a refresh
starts from the newest copy.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.conf import settings

from wristband_django.store.locks import lock_cache, session_cache_key
from wristband_django.store.sealing import TokenDecryptionError
from wristband_django.store.session_entry import WristbandSession, open_tokens, seal_tokens

TOKEN_FIELDS = ("access_token", "refresh_token", "expires_at", "refreshed_at")


def _key(session_key: str) -> str:
    return session_cache_key("tokens", session_key)


def publish(session_key: str, entry: WristbandSession) -> None:
    record = seal_tokens({name: getattr(entry, name) for name in TOKEN_FIELDS})
    lock_cache().set(_key(session_key), record, timeout=settings.SESSION_COOKIE_AGE)


def newest(session_key: str, entry: WristbandSession) -> WristbandSession:
    """``entry`` with the published tokens if those are newer, else ``entry`` itself."""
    record: Any = lock_cache().get(_key(session_key))
    if not isinstance(record, dict) or set(record) != set(TOKEN_FIELDS):
        return entry
    if (record["refreshed_at"] or 0) <= (entry.refreshed_at or 0):
        return entry
    try:
        return replace(entry, **open_tokens(record))
    except TokenDecryptionError:
        return entry


def forget(session_key: str) -> None:
    lock_cache().delete(_key(session_key))
