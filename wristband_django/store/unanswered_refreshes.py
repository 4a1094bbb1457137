"""Refresh tokens presented to Wristband with no known outcome, kept beside each session in
the lock cache.

A refresh grant that may have reached Wristband and got no complete answer (a read
timeout, a connection reset after sending, an answer trickled past the deadline, a body cut
short) may have been carried out: with rotation its refresh token is spent, and presenting
it again makes Wristband revoke the whole token family. So a refresh records the token here
before its first byte leaves, and forgets it only once it knows the token was not exchanged
(nothing was sent, or Wristband answered with a complete error). Whoever takes the
session's lock next (another request or process, after a crash or a lock lost to the
cache) finds the record and never presents that token again.

The record holds a digest of the refresh token and of the session's last refresh time, never
the token: it matches the session only while the session still holds the token it names.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings

from wristband_django.store.locks import lock_cache, record_cache_key
from wristband_django.types import WristbandSession


def _key(session_key: str) -> str:
    return record_cache_key("unanswered-refresh", session_key)


def _digest(entry: WristbandSession) -> str:
    """Return a digest naming ``entry``'s refresh token as of its last refresh.

    The digest names the token without revealing it."""
    named = f"{entry.refreshed_at or 0}:{entry.refresh_token or ''}"
    return hashlib.sha256(named.encode()).hexdigest()[:32]


def record(session_key: str, entry: WristbandSession) -> None:
    """Record that ``entry``'s refresh token is about to be presented to Wristband (wall
    clock: every process reads the same record)."""
    value = {"token": _digest(entry), "at": time.time()}
    lock_cache().set(_key(session_key), value, timeout=settings.SESSION_COOKIE_AGE)


def seconds_since_presented(session_key: str, entry: WristbandSession) -> float | None:
    """Return the seconds since ``entry``'s refresh token was presented with no known outcome.

    Return ``None`` when it was not presented (or its outcome is known)."""
    value: Any = lock_cache().get(_key(session_key))
    if not isinstance(value, dict) or value.get("token") != _digest(entry):
        return None
    at = value.get("at")
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        return 0.0  # unreadable time: as if presented just now (never "long ago")
    return max(0.0, time.time() - at)


def forget(session_key: str) -> None:
    """Forget the presented token once its outcome is known.

    The outcome is known when the recorded token was not exchanged, or the session is over."""
    lock_cache().delete(_key(session_key))
