"""Which exceptions mean "the session store (or the lock cache) is unreachable"."""

from __future__ import annotations

from django.db import DatabaseError


def _store_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [DatabaseError, OSError]
    try:
        from redis.exceptions import RedisError

        errors.append(RedisError)
    except ImportError:  # pragma: no cover - django-redis is an optional extra
        pass
    try:
        from django_redis.exceptions import ConnectionInterrupted

        errors.append(ConnectionInterrupted)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


STORE_ERRORS = _store_errors()


class StoreUnavailableError(Exception):
    """The session store or the lock cache did not answer."""
