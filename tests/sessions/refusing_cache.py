"""A LocMem cache whose ``add`` refuses the next ``REFUSALS["adds"]`` calls, as a cache does for
a key that is already taken, or as a cache that fails silently does for every key."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.locmem import LocMemCache

#: How many more ``add`` calls to refuse (answer False without storing), and the keys asked.
REFUSALS: dict[str, Any] = {"adds": 0, "keys": []}


class RefusingLocMemCache(LocMemCache):
    def add(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> bool:
        REFUSALS["keys"].append(key)
        if REFUSALS["adds"] > 0:
            REFUSALS["adds"] -= 1
            return False
        return super().add(key, value, timeout, version)
