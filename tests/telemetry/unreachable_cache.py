"""A LocMem cache that can be made unreachable, as a cache client sees a stopped server.

While ``DOWN["down"]`` is set every call raises ``ConnectionRefusedError``; the next
``DOWN["failing_saves"]`` saves of a session (``set`` of Django's session keys) raise it too:
a blink during a write.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.locmem import LocMemCache

DOWN: dict[str, Any] = {"down": False, "failing_saves": 0}
SESSION_KEY_PREFIX = "django.contrib.sessions.cache"


def _check() -> None:
    if DOWN["down"]:
        raise ConnectionRefusedError("the cache server does not answer")


class UnreachableLocMemCache(LocMemCache):
    def get(self, *args: Any, **kwargs: Any) -> Any:
        _check()
        return super().get(*args, **kwargs)

    def set(self, key: Any, *args: Any, **kwargs: Any) -> None:
        _check()
        if DOWN["failing_saves"] > 0 and str(key).startswith(SESSION_KEY_PREFIX):
            DOWN["failing_saves"] -= 1
            raise ConnectionRefusedError("the cache server does not answer")
        super().set(key, *args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        _check()
        return super().add(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        _check()
        return super().delete(*args, **kwargs)
