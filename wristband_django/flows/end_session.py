"""Ending a Wristband session: the one flow behind logout, the admin, a failed refresh and the
purge of dead rows.

It holds the session's refresh lock, so a refresh in flight finishes first and the refresh
token revoked is the newest one; it deletes the store entry, the newest-tokens record and the
admin row, and checks the entry is gone. When the store does not answer it raises
``StoreUnavailableError`` and claims nothing: the caller answers 503, never a false success.
"""

from __future__ import annotations

import logging

from wristband_django.conf import AuthConfig
from wristband_django.errors import StoreUnavailableError, WristbandError
from wristband_django.store import login_records
from wristband_django.store.stored_session import STORE_ERRORS, StoredSession
from wristband_django.types import WristbandSession
from wristband_django.wristband.client import get_client

logger = logging.getLogger(__name__)


def end_session(
    config: AuthConfig, session_key: str, *, lock_held: bool = False
) -> WristbandSession | None:
    """End the session stored under ``session_key``; returns what it held (newest tokens).

    ``lock_held``: the caller (a failing refresh) already holds the session's lock.
    """
    store = StoredSession(session_key)
    try:
        if lock_held:
            entry = store.delete()
        else:
            wait = config.refresh_lock_timeout  # no holder keeps the lock longer than this
            with store.lock(ttl=wait, wait=wait) as acquired:
                if not acquired:
                    raise StoreUnavailableError("the session's lock was not released in time")
                entry = store.delete()
    except STORE_ERRORS as exc:
        raise StoreUnavailableError(type(exc).__name__) from exc
    login_records.forget(session_key)
    if entry is not None:
        revoke(config, entry.refresh_token)
    return entry


def purge_ended_sessions(config: AuthConfig) -> int:
    """End what is left of every session whose Wristband entry the store no longer has
    (expired, or flushed elsewhere), and remove its admin row; returns how many."""
    purged = 0
    for record, session_key in login_records.all_rows():
        if session_key is None:  # sealed with a retired key: the session cannot be found
            record.delete()
        elif not _has_entry(session_key):
            end_session(config, session_key)
        else:
            continue
        purged += 1
    return purged


def _has_entry(session_key: str) -> bool:
    try:
        return StoredSession(session_key).load() is not None
    except STORE_ERRORS as exc:
        raise StoreUnavailableError(type(exc).__name__) from exc


def revoke(config: AuthConfig, refresh_token: str | None) -> None:
    """Revoke at Wristband within the call's deadline; a failure is logged, not raised (the
    session is already gone here, and the token expires at Wristband in any case)."""
    if not refresh_token:
        return
    try:
        get_client(config).revoke(refresh_token)
    except WristbandError as exc:
        logger.warning("Could not revoke the refresh token: %s", exc.error)
