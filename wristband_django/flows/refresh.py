"""Refresh: keep a session's access token fresh, once per session even under concurrency.

One implementation, ``refresh_stored_session(config, session_key)``, works on a session key
and the store's face for it (``store.stored_session.StoredSession``): under the session's
lock it re-reads the session with the newest tokens, refreshes with retries, keeps the new
tokens, or ends the session when the refresh cannot succeed. Two thin layers use it:

- ``fresh_session(request, config)``: the request's session, for the middleware, the
  decorator, the mixin, the DRF and ninja classes and the Session and Token endpoints; it
  adds what only a request has (the cookie, the Django login, ``request.session``);
- ``fresh_session_by_key(config, session_key)``: any session by its key, outside a request
  (``wristband_django.sessions``, e.g. in a Celery task).

Both return the session with a valid access token, or ``None`` when there is none (any
more). Given ``rejected``, the access token an API has just refused with a 401
(``contrib.outbound``), both also refresh a token that has not expired yet, if it is still
the session's token and a refresh token can replace it: single-flight too, so callers that
all got a 401 for one token make one refresh, and none if another refresh replaced it.

A refresh that cannot succeed (``invalid_grant``, another 4xx, 5xx answers and failures to
connect after the retries, or a grant that may have reached Wristband and got no complete
answer: see ``flows.refresh_grant``) ends the session: the store entry is
deleted (and the request's cookie expired). With ``keep_session_when_wristband_unavailable``,
5xx answers and failures to connect instead keep the session and raise
``WristbandUnavailableError`` (a 503), and the session's next refresh waits
``OUTAGE_BACKOFF_SECONDS``; a grant with no complete answer still ends it, since its refresh
token can never be presented again. Store outages raise ``StoreUnavailableError``.
"""

from __future__ import annotations

import logging
import secrets
from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from wristband_django import signals, telemetry
from wristband_django.conf import AuthConfig
from wristband_django.deadlines import deadline
from wristband_django.errors import (
    StoreUnavailableError,
    WristbandError,
    WristbandUnavailableError,
)
from wristband_django.flows.django_login import end_django_login, is_django_login
from wristband_django.flows.end_session import end_session, revoke
from wristband_django.flows.refresh_grant import UnansweredRefreshError, refresh_tokens
from wristband_django.store import login_records, session_entry, stored_session
from wristband_django.store.stored_session import STORE_ERRORS, StoredSession
from wristband_django.types import WristbandSession

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


@telemetry.traced_refresh
def refresh_stored_session(
    config: AuthConfig, session_key: str, *, rejected: str | None = None
) -> RefreshResult:
    """Refresh the session stored under ``session_key`` if its access token has expired (or
    is ``rejected``: see ``_is_due``), under its lock: at most one refresh per session at a
    time, across processes.

    Whoever waited for the lock re-reads the store and uses the tokens the winner stored.
    Raises ``StoreUnavailableError`` (or one of ``STORE_ERRORS``) when the store or the lock
    cache does not answer, and ``WristbandUnavailableError`` when Wristband does not and
    ``keep_session_when_wristband_unavailable`` keeps the session.
    """
    lifetime = config.refresh_lock_timeout  # outlives the refresh's whole deadline
    window = config.store_retry_window
    store = StoredSession(session_key)
    with store.lock(ttl=lifetime, wait=lifetime, release_retry=window) as acquired:
        if not acquired:  # never refresh without the lock: 503, the user stays logged in
            raise StoreUnavailableError("the session's refresh lock was not released in time")
        current = store.load(newest=True)
        if current is None:  # ended meanwhile (logout, the admin, another failed refresh)
            return RefreshResult(None)
        if not _is_due(current, rejected):
            return RefreshResult(current)  # another request or worker refreshed meanwhile
        unanswered = _left_unanswered(config, store, current)
        if unanswered is not None:  # never presented twice: the session cannot go on
            return _failed(config, store, current, unanswered)
        keep = config.keep_session_when_wristband_unavailable
        if keep and store.is_backing_off():
            raise WristbandUnavailableError(
                "wristband_unavailable", "a refresh found Wristband unavailable moments ago"
            )
        with deadline(config.refresh_timeout):  # a failure's revoke shares the deadline
            try:
                refreshed = refresh_tokens(config, store, current)
            except WristbandUnavailableError as exc:
                if not keep:
                    return _failed(config, store, current, exc)
                logger.warning("Token refresh failed (%s); keeping the session", exc.error)
                store.back_off(OUTAGE_BACKOFF_SECONDS)
                raise
            except WristbandError as exc:
                return _failed(config, store, current, exc)
        # Wristband has rotated the refresh token: the new tokens are the only ones that work.
        if not store.keep(refreshed, retry_for=window):
            # The database row went away meanwhile (it expired): nothing holds the new tokens.
            revoke(config, refreshed.refresh_token)
            end_session(config, session_key, lock_held=True)
            return RefreshResult(None)
    login_records.record_refresh(session_key, refreshed)
    return RefreshResult(refreshed, saved=store.session)


def _is_due(entry: WristbandSession, rejected: str | None) -> bool:
    """Tell whether ``entry``'s access token must be refreshed: it has expired, or it is
    ``rejected`` (an API refused it) and the session has a refresh token to replace it."""
    if entry.is_expired():
        return True
    if rejected is None or not entry.refresh_token:
        return False
    return secrets.compare_digest(entry.access_token.encode(), rejected.encode())


def _left_unanswered(
    config: AuthConfig, store: StoredSession, current: WristbandSession
) -> UnansweredRefreshError | None:
    """Return why ``current``'s refresh token must not be presented: an earlier refresh
    presented it and never learnt the outcome (its process died); ``None`` if it may be.

    Raise ``StoreUnavailableError`` (a 503, the session kept) while that refresh may still be
    waiting for its answer, within its ``refresh_timeout``: it lost the lock (evicted from
    the cache), not its deadline, and may yet store new tokens.
    """
    seconds = store.seconds_since_presented(current)
    if seconds is None:
        return None
    if seconds < config.refresh_timeout + CLOCK_SKEW_SECONDS:
        raise StoreUnavailableError("an earlier refresh may still be waiting for its answer")
    return UnansweredRefreshError(
        "refresh_outcome_unknown", "an earlier refresh presented this token and got no answer"
    )


def _failed(
    config: AuthConfig, store: StoredSession, current: WristbandSession, exc: WristbandError
) -> RefreshResult:
    """End the session whose refresh cannot succeed (the caller holds its lock)."""
    logger.warning("Token refresh failed (%s); ending the session", exc.error)
    end_session(config, store.session_key, lock_held=True)
    with suppress(*STORE_ERRORS):  # the session is gone: its record no longer matters
        store.forget_presented()
    return RefreshResult(None, failed=current, error=exc)


def _announce(result: RefreshResult, request: HttpRequest | None) -> None:
    """Send the signals of a refresh (``request`` is ``None`` outside a request)."""
    if result.failed is not None and result.error is not None:
        signals.refresh_failed.send(
            WristbandSession, request=request, user_id=result.failed.user_id, error=result.error
        )
    elif result.saved is not None and result.session is not None:
        signals.tokens_refreshed.send(
            WristbandSession, request=request, wristband_session=result.session
        )


@telemetry.counts_store_outages("session")
def fresh_session(
    request: HttpRequest, config: AuthConfig, *, rejected: str | None = None
) -> WristbandSession | None:
    """Return the request's Wristband session with a valid access token (refreshed if due,
    or if its token is ``rejected``)."""
    try:
        entry = stored_session.read_request_session(request)
        session_key = request.session.session_key
        if entry is None:
            if session_key and is_django_login(request.session):  # ended with Wristband's
                end_session(config, session_key)
                end_django_login(request)
            return None
        if not _is_due(entry, rejected):
            return entry
        if session_key is None:  # pragma: no cover - a loaded entry always has a key
            return None
        result = refresh_stored_session(config, session_key, rejected=rejected)
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
        stored_session.keep_session_cookie(request)
        raise StoreUnavailableError(type(exc).__name__) from exc


@telemetry.counts_store_outages("session")
def fresh_session_by_key(
    config: AuthConfig, session_key: str, *, rejected: str | None = None
) -> WristbandSession | None:
    """Return the session stored under ``session_key`` with a valid access token.

    The token is refreshed if needed (or ``rejected``), outside any request, with the same
    lock, tokens and failure rules as a request's."""
    try:
        entry = StoredSession(session_key).load()
        if entry is None or not _is_due(entry, rejected):
            return entry
        result = refresh_stored_session(config, session_key, rejected=rejected)
        _announce(result, None)
        return result.session
    except STORE_ERRORS as exc:
        raise StoreUnavailableError(type(exc).__name__) from exc


def put_newest_tokens(request: HttpRequest) -> None:
    """Put in the request's session the tokens a refresh elsewhere stored meanwhile.

    This runs before ``SessionMiddleware`` saves the session: saving older tokens would
    present a spent refresh token later.

    A store that does not answer is logged, and the session is saved as it is.
    """
    session: SessionBase | None = getattr(request, "session", None)
    if session is None or session.session_key is None:
        return
    if not (session.modified or settings.SESSION_SAVE_EVERY_REQUEST):
        return
    try:
        stored_session.put_newest_tokens(session)
    except STORE_ERRORS as exc:
        logger.error("Could not check for newer tokens before saving (%s)", type(exc).__name__)
