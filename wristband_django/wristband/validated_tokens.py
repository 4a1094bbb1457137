"""A per-process memory of bearer access tokens that passed every check.

A client sends the same access token with every request until it expires; checking its
RS256 signature and claims again each time costs more than the rest of a small API view.
So a token that passed ``access_tokens.validate_access_token`` is remembered, and the next
request with the very same token gets the same typed claims without the checks, while:

- the token has not expired (its ``exp`` plus ``jwt_leeway``, the check PyJWT makes);
- the key that verified its signature is still the one the JWKS cache trusts for its
  ``kid`` (a key Wristband stops publishing, or any re-fetch of the keys, ends the memory
  of every token it verified: they are checked in full again);
- the configuration is the one it was checked under (``WRISTBAND_AUTH`` changing clears it).

It never widens what a token may do: it returns exactly what the checks returned, and every
per-request check (the host's tenant, roles, scopes, the session beside it) still runs.
Tokens are remembered by their SHA-256 digest, never as text; a refused token is never
remembered, so only tokens Wristband signed can take room. At most
``access_token_cache_max_size`` tokens are kept (default 1,024, about 2.4 KB each; the
least recently used goes first); ``0`` turns the memory off.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt

from wristband_django.conf import AuthConfig, get_config, register_cache_reset
from wristband_django.types import AccessTokenClaims
from wristband_django.wristband import jwks


@dataclass(frozen=True)
class _Checked:
    """What the checks of one token established, and until when it holds."""

    config: AuthConfig
    claims: AccessTokenClaims
    key: jwt.PyJWK  # the very key object that verified the signature
    kid: str
    usable_until: float  # exp + jwt_leeway, in epoch seconds


class _ValidatedTokens:
    """The memory itself: digests of checked tokens, least recently used first; changes
    take one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[bytes, _Checked] = OrderedDict()

    def clear(self) -> None:
        with self.lock:
            self.entries = OrderedDict()

    def recall(self, config: AuthConfig, token: str) -> AccessTokenClaims | None:
        """Return the claims of ``token`` if it passed the checks and still would.

        A hit takes no lock: each ``OrderedDict`` call is atomic, and an entry another
        thread drops meanwhile is simply not moved to the end."""
        if config.access_token_cache_max_size == 0:
            return None
        digest = hashlib.sha256(token.encode()).digest()  # as _digest(), without the call
        checked = self.entries.get(digest)
        if checked is None:
            return None
        if (
            checked.config is config
            and time.time() < checked.usable_until
            and jwks.trusted_key(config, checked.kid) is checked.key
        ):
            try:  # noqa: SIM105 (cheaper than contextlib.suppress, on every hit)
                self.entries.move_to_end(digest)
            except KeyError:  # another thread dropped it meanwhile
                pass
            return checked.claims
        with self.lock:
            if self.entries.get(digest) is checked:
                del self.entries[digest]
        return None

    def remember(
        self, config: AuthConfig, token: str, claims: AccessTokenClaims, key: jwt.PyJWK
    ) -> None:
        """Keep the outcome of ``token``'s checks: ``claims``, verified with ``key``."""
        limit = config.access_token_cache_max_size
        if limit == 0 or not key.key_id:
            return
        checked = _Checked(
            config, claims, key, key.key_id, claims.expires_at.timestamp() + config.jwt_leeway
        )
        digest = _digest(token)
        with self.lock:
            self.entries[digest] = checked
            self.entries.move_to_end(digest)
            while len(self.entries) > limit:
                self.entries.popitem(last=False)

    def stats(self) -> dict[str, int]:
        """Return how many tokens are remembered and the most that may be."""
        with self.lock:
            entries = len(self.entries)
        return {"entries": entries, "max_entries": get_config().access_token_cache_max_size}


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


_memory = _ValidatedTokens()
register_cache_reset(_memory.clear)
recall = _memory.recall
remember = _memory.remember
stats = _memory.stats
