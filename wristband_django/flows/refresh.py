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

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import caches
from django.http import HttpRequest

from wristband_django import latest_tokens, session_data, session_records, signals
from wristband_django.client import get_client
from wristband_django.conf import AuthConfig
from wristband_django.django_users import end_django_login, is_django_login
from wristband_django.errors import WristbandError
from wristband_django.id_tokens import validate_id_token
from wristband_django.locks import CACHE_SESSION_ENGINES, session_lock
from wristband_django.session_data import WristbandSession, now_ms
from wristband_django.store_errors import STORE_ERRORS, StoreUnavailableError

logger = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.2
#: Time a lock may outlive the refresh budget (the holder's own store writes).
LOCK_MARGIN_SECONDS = 5.0


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
    deadline = time.monotonic() + config.refresh_timeout
    attempt = 0
    while True:
        attempt += 1
        try:
            tokens = client.refresh(entry.refresh_token, timeout=deadline - time.monotonic())
            break
        except WristbandError as exc:
            delay = _backoff(attempt)
            last = attempt >= config.refresh_max_attempts
            if not exc.retryable or last or time.monotonic() + delay >= deadline:
                raise
            logger.info("Token refresh attempt %d failed (%s); retrying", attempt, exc.error)
            time.sleep(delay)
    if tokens.id_token:  # OIDC Core 12.2: same iss, sub and aud as at login
        validate_id_token(config, tokens.id_token, expected_sub=entry.user_id)
    refreshed = now_ms()
    return replace(
        entry,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token or entry.refresh_token,
        id_token=tokens.id_token or entry.id_token,
        expires_at=refreshed + (tokens.expires_in - config.token_expiration_buffer) * 1000,
        refreshed_at=refreshed,
    )


def _stored_copy(session: SessionBase, session_key: str) -> SessionBase:
    """A fresh object for the same session, read from the store now (not at request start)."""
    return type(session)(session_key)


def invalidate_session(request: HttpRequest, session_key: str | None) -> None:
    """Delete the session from the store and expire its cookie (and end a Django login)."""
    end_django_login(request)
    if session_key:
        latest_tokens.forget(session_key)
        session_records.forget(session_key)


def _load_cache_session(request: HttpRequest) -> None:
    """Read a cache-backed session ourselves, so that an unreachable cache raises.

    Django's cache session backend catches every cache error on load and reads it as "no
    session", and SessionMiddleware then deletes the browser's cookie: an outage would log
    everyone out. The data read here is handed to the session object in the slot Django's
    own backends load it into, so this costs no extra round trip.
    """
    session = request.session
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not cookie or session.accessed or settings.SESSION_ENGINE not in CACHE_SESSION_ENGINES:
        return
    cache = getattr(session, "_cache", None) or caches[settings.SESSION_CACHE_ALIAS]
    prefix = getattr(session, "cache_key_prefix", "")
    data = cache.get(f"{prefix}{cookie}")
    if isinstance(data, dict) and session.session_key == cookie:
        session._session_cache = data  # type: ignore[attr-defined]


def _keep_session_cookie(request: HttpRequest) -> None:
    """An outage must not look like an empty session: SessionMiddleware would delete the
    browser's cookie and log the user out. A fresh, unloaded session object for the same
    key is neither empty nor modified, so the cookie is left alone."""
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if cookie:
        request.session = type(request.session)(cookie)


def fresh_session(request: HttpRequest, config: AuthConfig) -> WristbandSession | None:
    """The request's Wristband session with a valid access token (refreshed if needed)."""
    try:
        _load_cache_session(request)
        entry = session_data.load(request.session)
        if entry is None:
            if is_django_login(request.session):  # the Wristband session is gone: so is this
                invalidate_session(request, request.session.session_key)
            return None
        if not entry.is_expired():
            return entry
        return _refresh_once(request, config, entry)
    except STORE_ERRORS as exc:
        _keep_session_cookie(request)
        raise StoreUnavailableError(type(exc).__name__) from exc


def _refresh_once(
    request: HttpRequest, config: AuthConfig, entry: WristbandSession
) -> WristbandSession | None:
    session_key = request.session.session_key
    if session_key is None:  # pragma: no cover - a loaded entry always has a key
        return None
    budget = config.refresh_timeout + LOCK_MARGIN_SECONDS
    with session_lock(session_key, ttl=budget, wait=budget) as acquired:
        if not acquired:
            raise StoreUnavailableError("the session's refresh lock was not released in time")
        stored = _stored_copy(request.session, session_key)
        current = session_data.load(stored)
        if current is None:  # ended meanwhile (logout, or another request's failed refresh)
            invalidate_session(request, session_key)
            return None
        current = latest_tokens.newest(session_key, current)
        if not current.is_expired():
            return current  # another request refreshed while this one waited
        try:
            refreshed = refresh_tokens(config, current)
        except WristbandError as exc:
            logger.warning("Token refresh failed (%s); ending the session", exc.error)
            invalidate_session(request, session_key)
            signals.refresh_failed.send(
                WristbandSession, request=request, user_id=current.user_id, error=exc
            )
            return None
        session_data.store(stored, refreshed)
        stored.save()
        latest_tokens.publish(session_key, refreshed)
    session_data.store(request.session, refreshed)
    session_records.record_refresh(session_key, refreshed)
    signals.tokens_refreshed.send(WristbandSession, request=request, session=refreshed)
    return refreshed
