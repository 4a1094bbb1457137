"""Cache backends that log every write made through them (method and key), so that a test can
say exactly how many times a session was written, and by whom.

``CountingLocMemCache`` and ``CountingRedisCache`` behave as their bases; every call of a
writing method is appended to ``WRITES`` first. The refresh lock on django-redis is Redis's
own lock (``cache.lock``), not a cache write, so on Redis ``WRITES`` holds the session and
newest-tokens writes only; on LocMem the lock's ``add``/``delete`` show up too, under their
own keys.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache

#: Django's cache session engines store a session under this prefix + its key.
SESSION_KEY_PREFIXES = ("django.contrib.sessions.cache", "django.contrib.sessions.cached_db")


class WriteLog:
    """The writes made through the counting caches, in order: (method, key)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[tuple[str, str]] = []

    def record(self, method: str, key: object) -> None:
        with self._lock:
            self.entries.append((method, str(key)))

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()

    def session_writes(self, session_key: str | None = None) -> list[tuple[str, str]]:
        """The writes of session data (``set``/``add``/``touch``), of one session or any."""
        return [
            (method, key)
            for method, key in self.entries
            if method in ("set", "add", "touch")
            and key.startswith(SESSION_KEY_PREFIXES)
            and (session_key is None or key.endswith(session_key))
        ]


WRITES = WriteLog()


class _Counting:
    def set(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        WRITES.record("set", key)
        return super().set(key, *args, **kwargs)  # type: ignore[misc]

    def add(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        WRITES.record("add", key)
        return super().add(key, *args, **kwargs)  # type: ignore[misc]

    def touch(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        WRITES.record("touch", key)
        return super().touch(key, *args, **kwargs)  # type: ignore[misc]

    def delete(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        WRITES.record("delete", key)
        return super().delete(key, *args, **kwargs)  # type: ignore[misc]

    def set_many(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        for key in data:
            WRITES.record("set_many", key)
        return super().set_many(data, *args, **kwargs)  # type: ignore[misc]

    def delete_many(self, keys: Any, *args: Any, **kwargs: Any) -> Any:
        for key in keys:
            WRITES.record("delete_many", key)
        return super().delete_many(keys, *args, **kwargs)  # type: ignore[misc]

    def incr(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        WRITES.record("incr", key)
        return super().incr(key, *args, **kwargs)  # type: ignore[misc]

    def clear(self, *args: Any, **kwargs: Any) -> Any:
        WRITES.record("clear", "*")
        return super().clear(*args, **kwargs)  # type: ignore[misc]


class CountingLocMemCache(_Counting, LocMemCache):
    pass


class CountingRedisCache(_Counting, RedisCache):  # type: ignore[misc]
    pass
