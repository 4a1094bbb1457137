"""Refresh: keep a session's access token fresh, once per session even under concurrency.

One implementation, ``refresh_stored_session(config, session_key)``, works on a session key
and the project's session store: under the session's lock it re-reads the session, starts
from the newest tokens (``store.newest_tokens``), refreshes with retries, saves and
publishes the new tokens, or ends the session when the refresh cannot succeed. Two thin
layers use it:

- ``fresh_session(request, config)``: the request's session, for the middleware, the
  decorator, the mixin, the DRF and ninja classes and the Session and Token endpoints; it
  adds what only a request has (the cookie, the Django login, ``request.session``);
- ``fresh_session_by_key(config, session_key)``: any session by its key, outside a request
  (``wristband_django.sessions``, e.g. in a Celery task).

Both return the session with a valid access token, or ``None`` when there is none (any
more). A refresh that cannot succeed (``invalid_grant``, another 4xx, 5xx answers and
failures to connect after the retries, or a grant that may have reached Wristband and got
no complete answer: see ``flows.refresh_grant``) ends the session: the store entry is
deleted (and the request's cookie expired). With ``keep_session_when_wristband_unavailable``,
5xx answers and failures to connect instead keep the session and raise
``WristbandUnavailableError`` (a 503), and the session's next refresh waits
``OUTAGE_BACKOFF_SECONDS``; a grant with no complete answer still ends it, since its refresh
token can never be presented again. Store outages raise ``StoreUnavailableError``.
"""

from __future__ import annotations

import logging
import time
from contextlib import suppress
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.http import HttpRequest

from wristband_django import signals
from wristband_django.conf import AuthConfig
from wristband_django.deadlines import deadline
from wristband_django.errors import WristbandError, WristbandUnavailableError
from wristband_django.flows.django_login import end_django_login, is_django_login
from wristband_django.flows.end_session import end_session, revoke
from wristband_django.flows.refresh_grant import UnansweredRefreshError, refresh_tokens
from wristband_django.store import (
    access,
    login_records,
    newest_tokens,
    refresh_backoff,
    session_entry,
    unanswered_refreshes,
)
from wristband_django.store.access import load_stored_session
from wristband_django.store.locks import RELEASE_MARGIN_SECONDS, session_lock
from wristband_django.store.outages import (
    STORE_ERRORS,
    StoreUnavailableError,
    retry_until_answered,
)
from wristband_django.store.session_entry import WristbandSession

logger = logging.getLogger(__name__)

#: With ``keep_session_when_wristband_unavailable``: how long a session whose refresh found
#: Wristband unavailable waits before its next try; the ``Retry-After`` of the 503 answers
#: (``errors.RETRY_AFTER_SECONDS``).
OUTAGE_BACKOFF_SECONDS = 5
#: Slack between the wall clocks of processes and machines, when deciding whether a refresh
#: that presented a token may still be waiting for its answer.
CLOCK_SKEW_SECONDS = 1.0


@dataclass(frozen=True)
class RefreshResult:
    """What ``refresh_stored_session`` found or did, under the session's lock."""

    #: The session with a valid access token; ``None``: the session is over.
    session: WristbandSession | None
    #: The store's copy of the session, saved with the new tokens: set when this call
    #: refreshed (not when another one had, meanwhile).
    saved: SessionBase | None = None
    #: The session a failed refresh ended, and why (for ``signals.refresh_failed``).
    failed: WristbandSession | None = None
    error: WristbandError | None = None


def refresh_stored_session(config: AuthConfig, session_key: str) -> RefreshResult:
    """Refresh the session stored under ``session_key`` if its access token has expired,
    under its lock: at most one refresh per session at a time, across processes.

    Whoever waited for the lock re-reads the store and uses the tokens the winner stored.
    Raises ``StoreUnavailableError`` (or one of ``STORE_ERRORS``) when the store or the lock
    cache does not answer, and ``WristbandUnavailableError`` when Wristband does not and
    ``keep_session_when_wristband_unavailable`` keeps the session.
    """
    lifetime = config.refresh_lock_timeout  # outlives the refresh's whole deadline
    window = config.store_retry_window
    with session_lock(session_key, ttl=lifetime, wait=lifetime, release_retry=window) as acquired:
        locked_until = time.monotonic() + lifetime - RELEASE_MARGIN_SECONDS
        if not acquired:  # never refresh without the lock: 503, the user stays logged in
            raise StoreUnavailableError("the session's refresh lock was not released in time")
        stored = load_stored_session(session_key)
        current = session_entry.load(stored)
        if current is None:  # ended meanwhile (logout, the admin, another failed refresh)
            return RefreshResult(None)
        current = newest_tokens.newest(session_key, current)
        if not current.is_expired():
            return RefreshResult(current)  # another request or worker refreshed meanwhile
        unanswered = _left_unanswered(config, session_key, current)
        if unanswered is not None:  # never presented twice: the session cannot go on
            return _failed(config, session_key, current, unanswered)
        keep = config.keep_session_when_wristband_unavailable
        if keep and refresh_backoff.is_backing_off(session_key):
            raise WristbandUnavailableError(
                "wristband_unavailable", "a refresh found Wristband unavailable moments ago"
            )
        with deadline(config.refresh_timeout):  # a failure's revoke shares the deadline
            try:
                refreshed = refresh_tokens(config, session_key, current)
            except WristbandUnavailableError as exc:
                if not keep:
                    return _failed(config, session_key, current, exc)
                logger.warning("Token refresh failed (%s); keeping the session", exc.error)
                refresh_backoff.back_off(session_key, OUTAGE_BACKOFF_SECONDS)
                raise
            except WristbandError as exc:
                return _failed(config, session_key, current, exc)
        try:
            _keep(
                session_key, stored, refreshed, until=min(time.monotonic() + window, locked_until)
            )
        except UpdateError:  # the database row went away meanwhile (it expired)
            revoke(config, refreshed.refresh_token)  # nothing holds the new tokens any more
            end_session(config, session_key, lock_held=True)
            return RefreshResult(None)
    login_records.record_refresh(session_key, refreshed)
    return RefreshResult(refreshed, saved=stored)


def _left_unanswered(
    config: AuthConfig, session_key: str, current: WristbandSession
) -> UnansweredRefreshError | None:
    """Return why ``current``'s refresh token must not be presented: an earlier refresh
    presented it and never learnt the outcome (its process died); ``None`` if it may be.

    Raise ``StoreUnavailableError`` (a 503, the session kept) while that refresh may still be
    waiting for its answer, within its ``refresh_timeout``: it lost the lock (evicted from
    the cache), not its deadline, and may yet store new tokens.
    """
    seconds = unanswered_refreshes.seconds_since_presented(session_key, current)
    if seconds is None:
        return None
    if seconds < config.refresh_timeout + CLOCK_SKEW_SECONDS:
        raise StoreUnavailableError("an earlier refresh may still be waiting for its answer")
    return UnansweredRefreshError(
        "refresh_outcome_unknown", "an earlier refresh presented this token and got no answer"
    )


def _keep(
    session_key: str, stored: SessionBase, refreshed: WristbandSession, *, until: float
) -> None:
    """Store the tokens a refresh got: Wristband has rotated the refresh token, so these are
    the only ones that work. The session, then the newest-tokens record (which waits for a
    replica, where there is one); a store that does not answer (a Redis failover, a
    restart) is retried until ``until`` (monotonic: ``store_retry_window``, and never past
    the lock's expiry) before the error goes up."""
    session_entry.store(stored, refreshed)
    retry_until_answered(stored.save, until=until, what="store a refresh's session")
    retry_until_answered(
        lambda: newest_tokens.publish(session_key, refreshed),
        until=until,
        what="publish a refresh's tokens",
    )


def _failed(
    config: AuthConfig, session_key: str, current: WristbandSession, exc: WristbandError
) -> RefreshResult:
    """End the session whose refresh cannot succeed (the caller holds its lock)."""
    logger.warning("Token refresh failed (%s); ending the session", exc.error)
    end_session(config, session_key, lock_held=True)
    with suppress(*STORE_ERRORS):  # the session is gone: its record no longer matters
        unanswered_refreshes.forget(session_key)
    return RefreshResult(None, failed=current, error=exc)


def _announce(result: RefreshResult, request: HttpRequest | None) -> None:
    """The signals of a refresh (``request`` is ``None`` outside a request)."""
    if result.failed is not None and result.error is not None:
        signals.refresh_failed.send(
            WristbandSession, request=request, user_id=result.failed.user_id, error=result.error
        )
    elif result.saved is not None and result.session is not None:
        signals.tokens_refreshed.send(WristbandSession, request=request, session=result.session)


def fresh_session(request: HttpRequest, config: AuthConfig) -> WristbandSession | None:
    """The request's Wristband session with a valid access token (refreshed if needed)."""
    try:
        access.load_session_strictly(request)
        entry = session_entry.load(request.session)
        session_key = request.session.session_key
        if entry is None:
            if session_key and is_django_login(request.session):  # ended with Wristband's
                end_session(config, session_key)
                end_django_login(request)
            return None
        if not entry.is_expired():
            return entry
        if session_key is None:  # pragma: no cover - a loaded entry always has a key
            return None
        result = refresh_stored_session(config, session_key)
        if result.session is None:
            end_django_login(request)  # the store entry is gone: expire the cookie too
        elif result.saved is not None:
            if request.session.modified:  # this request's changes are saved with the tokens
                session_entry.store(request.session, result.session)
            else:  # saved already: saving it again could resurrect a session ended meanwhile
                result.saved.modified = False
                request.session = result.saved
        _announce(result, request)
        return result.session
    except STORE_ERRORS as exc:
        access.keep_session_cookie(request)
        raise StoreUnavailableError(type(exc).__name__) from exc


def fresh_session_by_key(config: AuthConfig, session_key: str) -> WristbandSession | None:
    """The session stored under ``session_key`` with a valid access token (refreshed if
    needed), outside any request; the same lock, tokens and failure rules as a request's."""
    try:
        entry = session_entry.load(load_stored_session(session_key))
        if entry is None or not entry.is_expired():
            return entry
        result = refresh_stored_session(config, session_key)
        _announce(result, None)
        return result.session
    except STORE_ERRORS as exc:
        raise StoreUnavailableError(type(exc).__name__) from exc
