"""The few Django internals this app relies on, behind typed functions, in one place.

Reading a session strictly (``store.access``) needs to hand Django's session backends data
we read ourselves, and to find the cache key and cache client they use; a login writes its
new session under a key it draws itself; a session refused on another tenant's host hides
its Django user; a bearer-only request skips ``CsrfViewMiddleware``. Django has no public
API for that, so every private attribute we touch is named here and nowhere else;
``tests/sessions/test_django_internals.py`` checks each function against the installed Django (tox
runs it on every supported version), so a change in Django fails there first.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, SessionBase
from django.core.cache import BaseCache, caches
from django.http import HttpRequest


def set_loaded_session(session: SessionBase, data: dict[str, Any]) -> None:
    """Make ``data`` the session's loaded content, as if the backend had just read it:
    nothing is read from the store afterwards (``SessionBase._session_cache``)."""
    session._session_cache = data  # type: ignore[attr-defined]


def forget_session_key(session: SessionBase) -> None:
    """Drop the session's key, as the backends do for a key the store does not know
    (``SessionBase._session_key``); a new key is made if the session is saved."""
    session._session_key = None


def save_under_new_key(session: SessionBase) -> None:
    """Save the session under a fresh random key, as ``create()`` draws one
    (``SessionBase._session_key``), in one write that must make a new entry
    (``save(must_create=True)``: ``CreateError`` when the key is taken). ``create()`` first
    asks the store whether the key is free: a round trip this atomic write makes redundant."""
    session._session_key = random_session_key()
    session.save(must_create=True)


def random_session_key(length: int = 32) -> str:
    """Return a session key as Django draws one (``length`` characters, each uniform over
    ``VALID_KEY_CHARS``), from one read of the OS's randomness instead of one per character:
    bytes past the largest multiple of the alphabet's size are drawn again (no bias)."""
    size = len(VALID_KEY_CHARS)
    limit = 256 - 256 % size
    key: list[str] = []
    while len(key) < length:
        key += [VALID_KEY_CHARS[b % size] for b in os.urandom(2 * length) if b < limit]
    return "".join(key[:length])


def session_cache(session: SessionBase) -> BaseCache:
    """Return the cache a cache-backed session reads from.

    That is ``SessionStore._cache`` of the cache and cached_db backends, else the cache
    ``SESSION_CACHE_ALIAS`` names."""
    cache = getattr(session, "_cache", None)
    return cache if isinstance(cache, BaseCache) else caches[settings.SESSION_CACHE_ALIAS]


def engine_cache_key(session: SessionBase, session_key: str) -> str:
    """Return the cache key a cache-backed session stores ``session_key``'s data under.

    That is ``SessionStore.cache_key_prefix`` followed by the key; not
    ``SessionStore.cache_key``, which would make a key for a session that has none."""
    prefix = getattr(session, "cache_key_prefix", "")
    return f"{prefix if isinstance(prefix, str) else ''}{session_key}"


def cache_client(cache: BaseCache) -> object | None:
    """Return what a cache backend keeps in ``_cache``, without making it.

    That is the client of Django's memcached and Redis backends once made (a cached
    property; ``None`` before), or LocMem's dict."""
    client: object | None = vars(cache).get("_cache")
    return client


def set_request_user(request: HttpRequest, user: Any) -> None:
    """Make ``user`` the request's ``request.user`` and what ``request.auser()`` returns,
    whether ``AuthenticationMiddleware`` ran before this or runs after it: its lazy user
    and ``auser()`` read the request's ``_cached_user`` / ``_acached_user`` first."""
    request.user = user
    request._cached_user = user  # type: ignore[attr-defined]
    request._acached_user = user  # type: ignore[attr-defined]


def skip_csrf_middleware(request: HttpRequest) -> None:
    """Tell ``CsrfViewMiddleware`` not to check this request (``_dont_enforce_csrf_checks``,
    the flag Django's test client and DRF use): for a request authenticated by a bearer token
    alone, which no browser sends on its own."""
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
