"""The cache records of ``MachineTokenProvider`` (``wristband_django.m2m``): their keys, bound
to the client's secret, and the sealed token and backoff records kept under them.

Every key name is an HMAC of the issuer, the client id and the client secret, under a key
derived from the newest sealing secret (``token_encryption_key``, else ``SECRET_KEY``). A
provider given another secret (or client id, or issuer) therefore reads and writes other
keys: it shares no token, lock or backoff with the real one. And someone who can list the
cache's keys but does not know the server's secret cannot test guesses of the client secret
against them, as a plain hash of the secret would let them. Rotating the sealing secret
moves the records to new names: one more token request per client, the old records expire.

Each record is sealed whole (``store.sealing``, its key name as associated data), so a
record written by anyone without the server's secret, or copied from another key, is
ignored. A backoff record is also checked against the clock: it holds requests back only
while ``failed_at <= now < min(retry_at, failed_at + MAX_BACKOFF_SECONDS)``, never longer,
whatever it says.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from django.core.cache import BaseCache

from wristband_django.errors import WristbandError
from wristband_django.store.sealing import (
    TokenDecryptionError,
    current_secrets,
    decrypt,
    encrypt,
)
from wristband_django.wristband.backoff import MAX_BACKOFF_SECONDS, Failure

_KEY_PURPOSE = b"wristband-django m2m cache keys v1"
_DIGEST_CHARS = 32  # 128 bits of the HMAC in the key name


@dataclass(frozen=True)
class CacheKeys:
    """The cache keys of one client: they reveal neither its id nor its secret."""

    token: str
    lock: str
    backoff: str


@lru_cache(maxsize=8)
def _hmac_key(server_secret: str) -> bytes:
    """Return the HMAC key of cache key names: the server's secret, for this purpose only."""
    return hmac.new(server_secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()


def cache_keys(issuer: str, client_id: str, client_secret: str) -> CacheKeys:
    """Return the cache keys of the client ``client_id`` with ``client_secret`` at ``issuer``."""
    message = json.dumps([issuer, client_id, client_secret]).encode()  # unambiguous
    digest = hmac.new(_hmac_key(current_secrets()[0]), message, hashlib.sha256).hexdigest()
    digest = digest[:_DIGEST_CHARS]
    return CacheKeys(
        token=f"wristband:m2m:token:{digest}",
        lock=f"wristband:m2m:lock:{digest}",
        backoff=f"wristband:m2m:backoff:{digest}",
    )


def _is_int(value: Any) -> bool:
    """Tell whether ``value`` is an integer (not a bool, which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _seconds(value: Any) -> float | None:
    """Return ``value`` as seconds if it is a finite JSON number (not a bool), else None."""
    if not (_is_int(value) or isinstance(value, float)):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return seconds if math.isfinite(seconds) else None


def _open(cache: BaseCache, key: str) -> dict[str, Any] | None:
    """Return the JSON object sealed under ``key``, or None if absent, forged or unreadable."""
    stored = cache.get(key)
    if not isinstance(stored, str):
        return None
    try:  # sealed with the key as associated data: it opens under this key only
        opened = json.loads(decrypt(key, stored))
    except (TokenDecryptionError, ValueError, RecursionError):
        return None  # not ours, or sealed under a secret since rotated away
    return opened if isinstance(opened, dict) else None


def _seal(cache: BaseCache, key: str, record: dict[str, Any], timeout: float) -> None:
    """Keep ``record`` under ``key`` for ``timeout`` seconds, sealed to that key."""
    cache.set(key, encrypt(key, json.dumps(record)), timeout=math.ceil(timeout))


@dataclass(frozen=True)
class CachedToken:
    """A token in the cache, with the wall-clock times (shared by processes) that rule it."""

    value: str = field(repr=False)
    expires_at: float
    refresh_at: float


def read_token(cache: BaseCache, keys: CacheKeys) -> CachedToken | None:
    """Return the cached token, or None if there is none this client sealed."""
    record = _open(cache, keys.token)
    if record is None:
        return None
    value = record.get("token")
    expires_at, refresh_at = _seconds(record.get("expires_at")), _seconds(record.get("refresh_at"))
    if not (isinstance(value, str) and value) or expires_at is None or refresh_at is None:
        return None
    return CachedToken(value, expires_at, min(refresh_at, expires_at))


def write_token(
    cache: BaseCache, keys: CacheKeys, value: str, lifetime: int, refresh_margin: float
) -> None:
    """Cache ``value`` for its ``lifetime``, to be replaced ``refresh_margin`` seconds (at
    most half its lifetime) before it expires."""
    now = time.time()
    record = {
        "token": value,
        "expires_at": now + lifetime,
        "refresh_at": now + lifetime - min(refresh_margin, lifetime / 2),
    }
    _seal(cache, keys.token, record, lifetime)


#: The fields of a ``Failure`` record, each with the check of its type.
_FAILURE_FIELDS: dict[str, Callable[[Any], bool]] = {
    "failures": lambda value: _is_int(value) and value >= 1,
    "failed_at": lambda value: _seconds(value) is not None,
    "retry_at": lambda value: _seconds(value) is not None,
    "error": lambda value: isinstance(value, str),
    "error_description": lambda value: isinstance(value, str),
    "status": lambda value: value is None or _is_int(value),
    "retryable": lambda value: isinstance(value, bool),
}


def _is_failure(record: dict[str, Any]) -> bool:
    """Tell whether ``record`` has exactly the fields of a ``Failure``, each of its type."""
    return record.keys() == _FAILURE_FIELDS.keys() and all(
        check(record[name]) for name, check in _FAILURE_FIELDS.items()
    )


def read_failure(cache: BaseCache, keys: CacheKeys) -> Failure | None:
    """Return the client's last failure, or None if there is none this client sealed."""
    record = _open(cache, keys.backoff)
    if record is None or not _is_failure(record):
        return None
    times = {name: _seconds(record[name]) for name in ("failed_at", "retry_at")}
    return Failure(**{**record, **times})


def record_failure(
    cache: BaseCache, keys: CacheKeys, previous: Failure | None, exc: WristbandError
) -> float:
    """Record the failed request ``exc`` after ``previous``; return the backoff (seconds)."""
    failure = Failure.after(previous, exc, time.time())  # wall-clock: shared by machines
    # Kept beyond the delay, so that the next failure doubles it.
    _seal(cache, keys.backoff, asdict(failure), failure.delay + MAX_BACKOFF_SECONDS)
    return failure.delay
