"""Ending a Wristband session: the one flow behind logout, the admin, a failed refresh, the
purge of dead rows, and the end of every session of a user or a tenant.

It holds the session's refresh lock, so a refresh in flight finishes first and the refresh
token revoked is the newest one; it deletes the store entry, the newest-tokens record and the
admin row, and checks the entry is gone. When the store does not answer it raises
``StoreUnavailableError`` and claims nothing: the caller answers 503, never a false success.

A refresh token Wristband does not take back (it is unavailable) is not a reason to keep a
session: the session ends here all the same, and that token stays valid at Wristband until
it expires; the server that held it has deleted it. That is logged at WARNING.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.http import HttpRequest

from wristband_django import signals
from wristband_django.conf import AuthConfig
from wristband_django.conf.docs_links import docs_url
from wristband_django.errors import StoreUnavailableError, WristbandError, WristbandUnavailableError
from wristband_django.models import LoginSession
from wristband_django.store import login_records
from wristband_django.store.engines import SIGNED_COOKIES_ENGINE
from wristband_django.store.stored_session import STORE_ERRORS, StoredSession
from wristband_django.types import WristbandSession
from wristband_django.wristband.client import get_client

logger = logging.getLogger(__name__)

#: Rows read per query when every session of a user or a tenant ends: memory stays bounded
#: however many sessions there are.
BATCH_SIZE: Final = 100


def end_session(
    config: AuthConfig, session_key: str, *, lock_held: bool = False
) -> WristbandSession | None:
    """End the session stored under ``session_key``; returns what it held (newest tokens).

    ``lock_held``: the caller (a failing refresh) already holds the session's lock.
    """
    entry = end_in_store(config, session_key, lock_held=lock_held)
    if entry is not None:
        revoke(config, entry.refresh_token)
    return entry


def end_in_store(
    config: AuthConfig, session_key: str, *, lock_held: bool = False, keep_row: bool = False
) -> WristbandSession | None:
    """Delete the session (after a refresh in flight) and, unless ``keep_row`` (the caller
    deletes rows in batches), its admin row; return its entry."""
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
    if not keep_row:
        login_records.forget(session_key)
    return entry


def has_entry(session_key: str) -> bool:
    """Return whether the store still holds a Wristband entry under ``session_key``; raise
    ``StoreUnavailableError`` when it does not answer."""
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
        logger.warning(
            "Could not revoke the refresh token (%s): the session has ended here, and the "
            "token stays valid at Wristband until it expires",
            exc.error,
        )


@dataclass(frozen=True)
class EndedSessions:
    """What ending every session of a user or a tenant did: ``count`` sessions ended, of
    which ``not_revoked`` kept a refresh token valid at Wristband (it was unavailable)."""

    count: int
    not_revoked: int = 0


class SessionsPartlyEndedError(StoreUnavailableError):
    """The store stopped answering while sessions were being ended: ``ended`` of them had
    ended (for good) before. Ending them again ends the rest."""

    def __init__(self, reason: str, ended: int) -> None:
        self.reason = reason
        self.ended = ended
        super().__init__(f"{reason}; {ended} session(s) had been ended before")


class _Revocations:
    """The revocations of one run: once Wristband is found unavailable, the run's other
    refresh tokens are not sent (each would wait out the call's deadline); they are counted
    and logged once."""

    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self.unavailable: WristbandUnavailableError | None = None
        self.skipped = 0

    def revoke(self, refresh_token: str | None) -> None:
        if not refresh_token:
            return
        if self.unavailable is not None:
            self.skipped += 1
            return
        try:
            get_client(self.config).revoke(refresh_token)
        except WristbandUnavailableError as exc:
            self.unavailable = exc
            self.skipped += 1
        except WristbandError as exc:
            logger.warning("Could not revoke a refresh token (%s)", exc.error)

    def report(self) -> None:
        if self.unavailable is not None:
            logger.warning(
                "Wristband was unavailable (%s): %d refresh token(s) of the sessions just "
                "ended were not revoked and stay valid at Wristband until they expire; the "
                "sessions have ended here all the same",
                self.unavailable.error,
                self.skipped,
            )


def check_scope(user_id: object, tenant_id: object) -> None:
    """Raise ``ValueError`` unless a user id, a tenant id or both are given, ``TypeError`` for
    one that is no string."""
    for name, value in (("user_id", user_id), ("tenant_id", tenant_id)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
        if value == "":
            raise ValueError(f"{name} must not be empty")
    if user_id is None and tenant_id is None:
        raise ValueError("give user_id, tenant_id or both")


def _check_rows_find_sessions(config: AuthConfig) -> None:
    if not config.track_sessions:
        raise ImproperlyConfigured(
            "Ending every session of a user or a tenant needs the LoginSession rows, which "
            '"track_sessions": False turns off: the rows are how those sessions are found. '
            f"See {docs_url('deployment', 'ending-every-session-of-a-user-or-a-tenant')}"
        )
    if settings.SESSION_ENGINE == SIGNED_COOKIES_ENGINE:
        raise ImproperlyConfigured(
            "Sessions cannot be ended from the server with SESSION_ENGINE signed_cookies: they "
            "live only in the browser's cookie. Use the cache, cached_db or db engine."
        )


def end_sessions_of(
    config: AuthConfig,
    *,
    user_id: str | None = None,
    tenant_id: str | None = None,
    request: HttpRequest | None = None,
    by_admin: bool = False,
    batch_size: int = BATCH_SIZE,
) -> EndedSessions:
    """End every live session of the user ``user_id``, of the tenant ``tenant_id``, or of
    that user in that tenant, found through the ``LoginSession`` rows, each as
    ``end_session`` does it (after a refresh in flight, its newest refresh token revoked).

    Only sessions the store still held count; a row whose session is gone (expired, ended
    meanwhile, sealed with a retired key) is removed. Each ended session sends
    ``logged_out`` (``session_ended_by_admin`` with ``by_admin``), and the run
    ``sessions_ended_for`` once. Rows are read ``batch_size`` at a time, in key order, up to
    the last row there was when the run began (a login that comes meanwhile is not ended).

    Raises ``SessionsPartlyEndedError`` (a ``StoreUnavailableError``) when the store or the
    database stops answering, saying how many had ended before.
    """
    check_scope(user_id, tenant_id)
    _check_rows_find_sessions(config)
    revocations = _Revocations(config)
    ended, after_pk = 0, 0
    try:
        up_to_pk = login_records.last_pk()  # the sessions of now: the run always ends
        while True:
            rows = login_records.rows_of(
                user_id=user_id,
                tenant_id=tenant_id,
                after_pk=after_pk,
                up_to_pk=up_to_pk,
                limit=batch_size,
            )
            for record, session_key in rows:
                after_pk = record.pk
                if _end_row(config, record, session_key, revocations, request, by_admin):
                    ended += 1
            if len(rows) < batch_size:
                break
    except (StoreUnavailableError, DatabaseError) as exc:
        reason = getattr(exc, "error_description", "") or type(exc).__name__
        raise SessionsPartlyEndedError(reason, ended) from exc
    finally:
        revocations.report()
    signals.sessions_ended_for.send(
        WristbandSession, request=request, user_id=user_id, tenant_id=tenant_id, count=ended
    )
    return EndedSessions(ended, revocations.skipped)


def _end_row(
    config: AuthConfig,
    record: LoginSession,
    session_key: str | None,
    revocations: _Revocations,
    request: HttpRequest | None,
    by_admin: bool,
) -> bool:
    """End one row's session; return whether there was a live session to end."""
    if session_key is None:  # sealed with a retired key: that session cannot be found
        login_records.delete_row(record)
        return False
    entry = end_in_store(config, session_key)
    if entry is None:
        return False
    revocations.revoke(entry.refresh_token)
    if by_admin:
        signals.session_ended_by_admin.send(
            WristbandSession, request=request, user_id=entry.user_id, tenant_id=entry.tenant_id
        )
    else:
        signals.logged_out.send(WristbandSession, request=request, user_id=entry.user_id)
    return True
