"""Which exceptions mean "the session store (or the lock cache) is unreachable"."""

from __future__ import annotations

import importlib

from django.db import DatabaseError

from wristband_django.errors import StoreUnavailableError

__all__ = ["STORE_ERRORS", "StoreSkippedError", "StoreUnavailableError"]


def _optional(module: str, name: str) -> type[BaseException] | None:
    """An exception class of an optional client library, if it is installed."""
    try:
        found: type[BaseException] = getattr(importlib.import_module(module), name)
    except ImportError:  # pragma: no cover - an optional extra
        return None
    return found


def _store_errors() -> tuple[type[BaseException], ...]:
    # OSError: refused connections and socket timeouts, whatever the client library.
    errors: list[type[BaseException] | None] = [
        DatabaseError,
        OSError,
        # redis-py's errors: Django's own RedisCache lets them through as they are (a stopped
        # server: redis.exceptions.ConnectionError; a hung one: TimeoutError, after the
        # socket timeout), django-redis wraps them in ConnectionInterrupted.
        _optional("redis.exceptions", "RedisError"),
        _optional("django_redis.exceptions", "ConnectionInterrupted"),
        # pymemcache (Django's PyMemcacheCache): a server that closed the connection
        # (MemcacheUnexpectedCloseError) or answered SERVER_ERROR, and "All servers seem to
        # be down right now", raised as a bare MemcacheError while it counts the server as
        # dead. Its other subclasses (illegal keys) cannot come from our calls: the session
        # cookie is checked before it is used as a key (store_access), other keys are hashes.
        _optional("pymemcache.exceptions", "MemcacheError"),
    ]
    return tuple(error for error in errors if error is not None)


STORE_ERRORS = _store_errors()


class StoreSkippedError(ConnectionError):
    """The cache client answered "not found" without asking the server.

    pymemcache's ``HashClient`` (Django's ``PyMemcacheCache``) does not ask a server that
    failed within the last ``retry_timeout`` seconds: it returns the default instead. Read
    as "no session", that would log the user out during (and just after) an outage.
    """
