"""Reading the request's session so that an unreachable store is an outage, not "no session",
and a cookie that cannot be a session key is "no session", not an error.

Django's cache session backend reads every cache error as an empty session, and
``SessionMiddleware`` then deletes the browser's cookie: a Redis blip would log everyone out.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import BaseCache, InvalidCacheKey
from django.http import HttpRequest

from wristband_django.store import django_internals
from wristband_django.store.engines import (
    CACHE_ENGINE,
    CACHE_SESSION_ENGINES,
    KEYED_SESSION_ENGINES,
)
from wristband_django.store.outages import StoreSkippedError

#: The longest cookie worth a look-up: four times Django's key length, and short enough that
#: Memcached's 250-byte key limit leaves room for Django's prefixes and a KEY_PREFIX.
MAX_SESSION_KEY_LENGTH = 128
#: RFC 6265's cookie-octet: printable ASCII but space, ``"``, ``,``, ``;`` and ``\``, the
#: characters a server can set in a cookie without quoting (Django's keys are [a-z0-9]).
#: Every cache accepts them in a key; Memcached refuses spaces and control characters, and
#: counts non-ASCII characters in UTF-8 bytes.
_KEY_CHARACTERS = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+")


def is_usable_session_key(session: SessionBase, cookie: str) -> bool:
    """Tell whether ``cookie`` can name a session of the engine, so no store is asked about others.

    The engine validated the cookie when the session object was made (Django: at least 8
    characters); on top of that, the cookie must fit any cache's key rules.
    """
    return (
        session.session_key == cookie
        and len(cookie) <= MAX_SESSION_KEY_LENGTH
        and _KEY_CHARACTERS.fullmatch(cookie) is not None
    )


def _no_session(session: SessionBase) -> None:
    """Reset ``session`` to no key and empty data, as Django's backends do for a missing session.

    Nothing is read later in the request, and SessionMiddleware deletes the cookie."""
    django_internals.forget_session_key(session)
    django_internals.set_loaded_session(session, {})


def _skipped_a_server(cache: BaseCache) -> bool:
    """Tell whether the cache client may have answered "not found" without asking a server.

    pymemcache's HashClient returns the default, silently, for a server that failed within
    ``retry_timeout`` (Django's default: 1 s), and hashes the keys of one it marked dead
    (after ``retry_attempts`` failures, for ``dead_timeout``: 60 s) to the other servers.
    """
    client = django_internals.cache_client(cache)  # Django's memcached client, once made
    failed = getattr(client, "_failed_clients", None)
    dead = getattr(client, "_dead_clients", None)
    return bool(failed or dead)


def get_strictly(cache: BaseCache, key: str) -> Any:
    """Return ``cache.get(key)``, where ``None`` is a real miss.

    Raise ``StoreSkippedError`` (one of ``STORE_ERRORS``) when the client may not have asked
    the server, and ``InvalidCacheKey`` for a key the cache refuses."""
    data = cache.get(key)
    if data is None and _skipped_a_server(cache):
        raise StoreSkippedError("the cache client skipped a server it saw fail")
    return data


def load_session_strictly(request: HttpRequest) -> None:
    """Read a cache-backed session ourselves, so that an unreachable cache raises.

    Django's cache session backend catches every cache error on load and reads it as "no
    session", and SessionMiddleware then deletes the browser's cookie: an outage would log
    everyone out. The data read here is handed to the session object in the slot Django's
    own backends load it into, so this costs no extra round trip.

    A cookie that cannot be a session key (too long, spaces, control characters, non-ASCII:
    ``is_usable_session_key``) is "no session" at once, without asking the store: Memcached
    would refuse it as a key (an error, not an answer), and any store would answer "none".
    """
    session = request.session
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not cookie or session.accessed or settings.SESSION_ENGINE not in KEYED_SESSION_ENGINES:
        return
    if not is_usable_session_key(session, cookie):
        _no_session(session)
        return
    if settings.SESSION_ENGINE not in CACHE_SESSION_ENGINES:
        return  # the database engine: Django's own load reads it, and raises if it is down
    cache = django_internals.session_cache(session)
    try:
        data = get_strictly(cache, django_internals.engine_cache_key(session, cookie))
    except InvalidCacheKey:  # a KEY_PREFIX or KEY_FUNCTION made it too long for Memcached
        _no_session(session)
        return
    if isinstance(data, dict):
        django_internals.set_loaded_session(session, data)
    elif data is None and settings.SESSION_ENGINE == CACHE_ENGINE:
        _no_session(session)  # a miss is the answer; cached_db goes on to the database


def keep_session_cookie(request: HttpRequest) -> None:
    """Keep the browser's session cookie through an outage of the session store.

    An outage must not look like an empty session: SessionMiddleware would delete the
    browser's cookie and log the user out. A fresh, unloaded session object for the same
    key is neither empty nor modified, so the cookie is left alone."""
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if cookie:
        request.session = type(request.session)(cookie)


def session_store(session_key: str | None = None) -> SessionBase:
    """Return a session object of the project's engine for ``session_key``, not loaded yet."""
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key)
    return store


def is_usable_key(session_key: str) -> bool:
    """Tell whether ``session_key`` can name a session of the project's engine.

    The key must meet the engine's own rules (Django: at least 8 characters) and any cache's
    (``is_usable_session_key``). No store is asked."""
    return is_usable_session_key(session_store(session_key), session_key)


def load_stored_session(session_key: str) -> SessionBase:
    """Read and return the session stored under ``session_key`` (a key this app made).

    An unreachable store raises one of ``STORE_ERRORS`` instead of reading as empty."""
    store = session_store(session_key)
    if settings.SESSION_ENGINE in CACHE_SESSION_ENGINES:
        cache = django_internals.session_cache(store)
        data = get_strictly(cache, django_internals.engine_cache_key(store, session_key))
        if isinstance(data, dict) and store.session_key == session_key:
            django_internals.set_loaded_session(store, data)
            return store
        if settings.SESSION_ENGINE == CACHE_ENGINE:
            django_internals.set_loaded_session(store, {})
            return store
    store.items()  # loads; the database engines raise on an outage themselves
    return store
