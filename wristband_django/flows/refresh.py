"""Refresh: keep a session's access token fresh, once per session even under concurrency.

``fresh_session(request)`` returns the request's Wristband session with a valid access
token, or ``None`` when there is none (any more). An expired token is refreshed under the
session's lock; requests that waited for the lock re-read the store and use the tokens
the winner stored. A refresh that cannot succeed (``invalid_grant``, another 4xx, or 5xx
and timeouts after the retries) ends the session: the store entry is deleted and the
cookie expired. Store outages raise ``StoreUnavailableError``.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import replace

from django.contrib.sessions.backends.base import UpdateError
from django.http import HttpRequest

from wristband_django import signals
from wristband_django.conf import AuthConfig
from wristband_django.deadlines import deadline, remaining
from wristband_django.errors import InvalidIdTokenError, WristbandError
from wristband_django.flows.django_login import end_django_login, is_django_login
from wristband_django.flows.end_session import end_session, revoke
from wristband_django.store import access, login_records, newest_tokens, session_entry
from wristband_django.store.access import load_stored_session
from wristband_django.store.locks import session_lock
from wristband_django.store.outages import STORE_ERRORS, StoreUnavailableError
from wristband_django.store.session_entry import WristbandSession, now_ms
from wristband_django.wristband.client import get_client
from wristband_django.wristband.id_tokens import UnknownKeyIdTokenError, validate_id_token

logger = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.2


def _backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: 0.2 s, 0.4 s, 0.8 s ... scaled by [0.5, 1)."""
    return FIRST_BACKOFF_SECONDS * 2.0 ** (attempt - 1) * (0.5 + random.random() / 2)  # noqa: S311


def refresh_tokens(config: AuthConfig, entry: WristbandSession) -> WristbandSession:
    """``entry`` with new tokens from Wristband, retrying what is worth retrying.

    5xx, connection failures and timeouts are retried with backoff, up to
    ``refresh_max_attempts`` and within ``refresh_timeout`` seconds. A read timeout may
    have consumed a rotating refresh token at Wristband; retrying is still right: either
    Wristband never processed it and the retry succeeds, or it did and the retry gets
    ``invalid_grant``, and the session was lost either way.
    """
    if not entry.refresh_token:
        raise WristbandError("no_refresh_token", "the session has no refresh token")
    client = get_client(config)
    with deadline(config.refresh_timeout):  # every attempt, backoff and the key fetch
        attempt = 0
        while True:
            attempt += 1
            try:
                tokens = client.refresh(entry.refresh_token)
                break
            except WristbandError as exc:
                delay = _backoff(attempt)
                last = attempt >= config.refresh_max_attempts
                if not exc.retryable or last or delay >= (remaining() or 0.0):
                    raise
                logger.info("Token refresh attempt %d failed (%s); retrying", attempt, exc.error)
                time.sleep(delay)
        id_token = _checked_id_token(config, tokens.id_token, entry)
    refreshed = now_ms()
    return replace(
        entry,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token or entry.refresh_token,
        id_token=id_token,
        expires_at=refreshed + (tokens.expires_in - config.token_expiration_buffer) * 1000,
        refreshed_at=refreshed,
    )


def _checked_id_token(
    config: AuthConfig, id_token: str | None, entry: WristbandSession
) -> str | None:
    """The refreshed ID token once checked (OIDC Core 12.2: same iss, sub and aud as at login).

    If it cannot be checked now (Wristband's keys unavailable, or a key rotated moments ago
    whose re-fetch is rate-limited), the previous ID token is kept: the new refresh token has
    already replaced the old one at Wristband, and dropping it would log the user out. A
    token that fails its checks still ends the session.
    """
    if not id_token:
        return entry.id_token
    try:
        validate_id_token(config, id_token, expected_sub=entry.user_id)
    except UnknownKeyIdTokenError:
        logger.warning("Kept the previous ID token: the new one's signing key is not known yet")
        return entry.id_token
    except InvalidIdTokenError:
        raise
    except WristbandError as exc:
        logger.warning(
            "Kept the previous ID token: Wristband's keys are unavailable (%s)", exc.error
        )
        return entry.id_token
    return id_token


def fresh_session(request: HttpRequest, config: AuthConfig) -> WristbandSession | None:
    """The request's Wristband session with a valid access token (refreshed if needed)."""
    try:
        access.load_session_strictly(request)
        entry = session_entry.load(request.session)
        if entry is None:
            session_key = request.session.session_key
            if session_key and is_django_login(request.session):  # ended with Wristband's
                end_session(config, session_key)
                end_django_login(request)
            return None
        if not entry.is_expired():
            return entry
        return _refresh_once(request, config, entry)
    except STORE_ERRORS as exc:
        access.keep_session_cookie(request)
        raise StoreUnavailableError(type(exc).__name__) from exc


def _refresh_once(
    request: HttpRequest, config: AuthConfig, entry: WristbandSession
) -> WristbandSession | None:
    session_key = request.session.session_key
    if session_key is None:  # pragma: no cover - a loaded entry always has a key
        return None
    lifetime = config.refresh_lock_timeout  # outlives the refresh's whole deadline
    with session_lock(session_key, ttl=lifetime, wait=lifetime) as acquired:
        if not acquired:  # never refresh without the lock: 503, the user stays logged in
            raise StoreUnavailableError("the session's refresh lock was not released in time")
        stored = load_stored_session(session_key)
        current = session_entry.load(stored)
        if current is None:  # ended meanwhile (logout, the admin, another failed refresh)
            end_django_login(request)
            return None
        current = newest_tokens.newest(session_key, current)
        if not current.is_expired():
            return current  # another request refreshed while this one waited
        with deadline(config.refresh_timeout):  # a failure's revoke shares the deadline
            try:
                refreshed = refresh_tokens(config, current)
            except WristbandError as exc:
                logger.warning("Token refresh failed (%s); ending the session", exc.error)
                end_session(config, session_key, lock_held=True)
                end_django_login(request)
                signals.refresh_failed.send(
                    WristbandSession, request=request, user_id=current.user_id, error=exc
                )
                return None
        session_entry.store(stored, refreshed)
        try:
            stored.save()
        except UpdateError:  # the database row went away meanwhile (it expired)
            revoke(config, refreshed.refresh_token)  # nothing holds the new tokens any more
            end_session(config, session_key, lock_held=True)
            end_django_login(request)
            return None
        newest_tokens.publish(session_key, refreshed)
    if request.session.modified:  # this request's own changes are saved with the new tokens
        session_entry.store(request.session, refreshed)
    else:  # already saved: writing it again after the lock could resurrect an ended session
        stored.modified = False
        request.session = stored
    login_records.record_refresh(session_key, refreshed)
    signals.tokens_refreshed.send(WristbandSession, request=request, session=refreshed)
    return refreshed
