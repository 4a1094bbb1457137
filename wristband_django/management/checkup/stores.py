"""Does each store the sessions and the refresh lock live in answer? One line each."""

from __future__ import annotations

from dataclasses import dataclass

from wristband_django.conf import AuthConfig
from wristband_django.store.locations import Store, ping, stores


@dataclass(frozen=True)
class StoreAnswer:
    """A store, and why it did not answer (``None``: it did)."""

    store: Store
    problem: str | None

    @property
    def line(self) -> str:
        """Return the command's line for it, without its ✓ or ✗."""
        if self.problem is None:
            return f"{self.store.describe_uses()} answered"
        return f"{self.store.describe_uses()} did not answer: {self.problem}"


def ping_stores(config: AuthConfig) -> list[StoreAnswer]:
    """Ping the session store (cache, database, or both for cached_db) and the refresh lock's
    cache."""
    return [StoreAnswer(store, ping(store)) for store in stores(config.lock_cache_alias)]
