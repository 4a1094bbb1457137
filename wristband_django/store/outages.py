"""Which exceptions mean "the session store (or the lock cache) is unreachable"."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError

from wristband_django import telemetry
from wristband_django.errors import StoreUnavailableError

__all__ = ["STORE_ERRORS", "StoreSkippedError", "StoreUnavailableError", "retry_until_answered"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Retrying a store that did not answer: the first pause, doubling up to the last (a Redis
#: Sentinel failover takes seconds).
FIRST_RETRY_SECONDS = 0.1
MAX_RETRY_SECONDS = 1.0


def _optional(module: str, name: str) -> type[BaseException] | None:
    """Return an exception class of an optional client library, if it is installed."""
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
telemetry.treat_as_store_outage(STORE_ERRORS)


class StoreSkippedError(ConnectionError):
    """The cache client answered "not found" without asking the server.

    pymemcache's ``HashClient`` (Django's ``PyMemcacheCache``) does not ask a server that
    failed within the last ``retry_timeout`` seconds: it returns the default instead. Read
    as "no session", that would log the user out during (and just after) an outage.
    """


def retry_until_answered(action: Callable[[], T], *, until: float, what: str) -> T:
    """Return ``action()``, retried while the store does not answer (one of ``STORE_ERRORS``).

    A retry happens while the next try would start before ``until`` (``time.monotonic()``);
    then the error goes up. This is for writes that must not be dropped because the store
    blinked (a failover, a restart)."""
    delay = FIRST_RETRY_SECONDS
    while True:
        try:
            return action()
        except STORE_ERRORS as exc:
            telemetry.store_outage("retried_write", exc)
            if time.monotonic() + delay >= until:
                raise
            logger.warning("Could not %s (%s); retrying", what, type(exc).__name__)
            time.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)
