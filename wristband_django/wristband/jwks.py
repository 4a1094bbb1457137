"""Wristband's signing keys (JWKS): the one cache ID tokens and bearer access tokens share.

RS256 only (``jwt_leeway`` is the clock skew every JWT check allows). At most
``jwks_cache_max_size`` keys are kept (the last ones Wristband publishes), per process
for at most ``jwks_cache_ttl`` seconds (a key Wristband stops publishing stops being
trusted within that time); they are re-fetched early when a token names a ``kid`` the
cache does not know (key rotation), at most once per ``MIN_REFETCH_INTERVAL_SECONDS``.
Concurrent callers share one fetch and wait for it no longer than their own deadline
(``call_timeout`` at most); no lock is held during network I/O. Failed fetches back off
(1 s doubling to 60 s): meanwhile callers fail at once, without calling Wristband, and an
unknown ``kid`` is re-fetched on that schedule, not every 10 s.

Every way of not having keys is a ``WristbandUnavailableError`` (retry later; never proof
that a token is bad): no complete answer in time, a refused or dropped connection, any
status but 2xx, a body that is not a JWKS (a proxy's HTML page, JSON of another shape, an
empty or truncated body), and a JWKS without one usable RS256 public key. A token whose
``kid`` a fetched JWKS lacks is the token's fault; one whose ``kid`` is unknown while a
re-fetch fails cannot be judged, so it is unavailable too.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from wristband_django import telemetry
from wristband_django.conf import AuthConfig, register_cache_reset
from wristband_django.deadlines import remaining
from wristband_django.errors import WristbandError, WristbandUnavailableError
from wristband_django.wristband.backoff import FailureMemory
from wristband_django.wristband.client import get_client

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
#: Unknown kids trigger at most one JWKS re-fetch in this interval (no fetch storms).
MIN_REFETCH_INTERVAL_SECONDS = 10.0


@dataclass
class _Flight:
    """One JWKS fetch in progress; the callers that joined it wait on ``done``."""

    done: threading.Event = field(default_factory=threading.Event)
    keys: dict[str, jwt.PyJWK] | None = None
    error: WristbandUnavailableError | None = None


@dataclass
class _IssuerKeys:
    """What the cache knows about one issuer's JWKS."""

    keys: dict[str, jwt.PyJWK] | None = None
    expires_at: float = 0.0
    refetched_at: float = -math.inf  # the last re-fetch for an unknown kid
    backoff: FailureMemory = field(default_factory=FailureMemory)
    flight: _Flight | None = None


class _JwksCache:
    """Per-process JWKS cache: TTL, single-flight fetches, backoff after failures.
    ``lock`` guards the bookkeeping only and is never held while calling Wristband."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self.issuers: dict[str, _IssuerKeys] = {}

    def _fetch(self, config: AuthConfig) -> dict[str, jwt.PyJWK]:
        """Return the usable keys Wristband publishes, by kid.

        Raise ``WristbandUnavailableError`` when there are none to be had.
        """
        try:
            published = get_client(config).jwks()["keys"]
        except WristbandUnavailableError:
            raise
        except WristbandError as exc:  # a 4xx, or a 2xx that is no JWKS (a proxy's page)
            raise WristbandUnavailableError(
                exc.error,
                f"Wristband's JWKS is unusable: {exc.error_description}",
                status=exc.status,
            ) from exc
        keys: dict[str, jwt.PyJWK] = {}
        for data in published:
            key = _usable_key(data)
            if key is not None:
                keys[data["kid"]] = key
        if not keys:
            raise WristbandUnavailableError(
                "invalid_jwks", f"Wristband's JWKS has no usable {ALGORITHM} public key"
            )
        limit = config.jwks_cache_max_size
        if len(keys) > limit:  # a rotation adds its key last: keep the newest
            logger.warning(
                "Wristband publishes %d signing keys, more than jwks_cache_max_size (%d); "
                "only the last %d are trusted",
                len(keys),
                limit,
                limit,
            )
            keys = dict(list(keys.items())[-limit:])
        return keys

    def get(self, config: AuthConfig, kid: str) -> jwt.PyJWK | None:
        """Return the published key ``kid``, or ``None`` if Wristband does not publish it.

        Raise ``WristbandUnavailableError`` when the JWKS cannot be had (a fetch fails now, or
        failed recently and backoff holds calls back), and when ``kid`` is unknown and the
        last re-fetch failed.
        """
        with self.lock:
            state = self.issuers.get(config.issuer)  # not setdefault: it builds one every call
            if state is None:
                state = self.issuers[config.issuer] = _IssuerKeys()
            now = time.monotonic()
            fresh = state.keys is not None and now < state.expires_at
            if fresh and state.keys is not None and kid in state.keys:
                return state.keys[kid]
            flight = state.flight
            leader = False
            if flight is None:
                recent = now - state.refetched_at < MIN_REFETCH_INTERVAL_SECONDS
                if fresh and recent and state.backoff.last is None:
                    return None  # an unknown kid, and the JWKS was re-fetched just now
                state.backoff.raise_if_backing_off(
                    "fetching Wristband's JWKS failed recently and is backing off "
                    "({left:.0f} s left): {description}"
                )
                if fresh:
                    state.refetched_at = now
                flight = state.flight = _Flight()
                leader = True
        keys = self._lead(config, state, flight) if leader else self._follow(config, flight)
        return keys.get(kid)

    def _lead(
        self, config: AuthConfig, state: _IssuerKeys, flight: _Flight
    ) -> dict[str, jwt.PyJWK]:
        try:
            keys = self._fetch(config)
        except WristbandUnavailableError as exc:
            telemetry.jwks_fetch(exc)
            flight.error = exc
            delay = state.backoff.record_failure(exc)
            logger.warning(
                "Could not fetch Wristband's JWKS (%s); next attempt in %.0f s", exc.error, delay
            )
            raise
        except BaseException:
            flight.error = WristbandUnavailableError("jwks_fetch_failed", "the JWKS fetch failed")
            raise
        else:
            telemetry.jwks_fetch(None)
            with self.lock:
                state.keys, flight.keys = keys, keys
                state.expires_at = time.monotonic() + config.jwks_cache_ttl
                state.backoff.record_success()
            return keys
        finally:
            with self.lock:
                if state.flight is flight:
                    state.flight = None
            flight.done.set()

    def _follow(self, config: AuthConfig, flight: _Flight) -> dict[str, jwt.PyJWK]:
        """Wait for another caller's fetch, as long as this caller's own deadline allows."""
        left = remaining()
        wait = config.call_timeout if left is None else min(max(left, 0.0), config.call_timeout)
        if not flight.done.wait(wait):
            raise WristbandUnavailableError(
                "timeout", "Wristband's JWKS (fetched by another request) did not arrive in time"
            )
        error = flight.error
        if error is not None:  # a copy: one exception object is not raised in many threads
            raise WristbandUnavailableError(
                error.error, error.error_description, status=error.status
            )
        return flight.keys or {}


def _usable_key(data: object) -> jwt.PyJWK | None:
    """Return ``data``, one entry of the JWKS, as a key that verifies RS256 signatures.

    Return ``None`` when the entry is no RSA public key for signatures (another ``kty``,
    ``alg`` or ``use``, or private members), has no ``kid``, or has values that make no RSA
    key.
    """
    if not isinstance(data, dict) or data.get("kty") != "RSA" or "d" in data:
        return None
    kid = data.get("kid")
    if not isinstance(kid, str) or not kid:
        return None
    if data.get("alg", ALGORITHM) != ALGORITHM or data.get("use", "sig") != "sig":
        return None
    try:
        key = jwt.PyJWK(data, algorithm=ALGORITHM)
    except jwt.PyJWTError:  # InvalidKeyError (bad values) as well as PyJWKError
        return None
    return key if isinstance(key.key, RSAPublicKey) else None


_jwks = _JwksCache()
register_cache_reset(_jwks.clear)


class UnusableJwtError(Exception):
    """Why a JWT cannot even be checked; the message completes "the token ..."."""


class UnknownSigningKeyError(UnusableJwtError):
    """The JWT names a ``kid`` the cached JWKS lacks, and no re-fetch is allowed right now."""


#: A JWS header, base64url (padding tolerated, as PyJWT tolerates it); Wristband's (alg, kid,
#: typ) is under 200 characters.
_HEADER_SEGMENT = re.compile(r"([A-Za-z0-9_-]{2,1024})={0,2}")


def unverified_header(token: str) -> dict[str, Any]:
    """Return the unverified header of a compact JWS; raise ``UnusableJwtError`` for a non-JWT.

    The header only picks the key that must verify the token: PyJWT then decodes and checks
    the whole token. Only the header segment is decoded, since ``jwt.get_unverified_header``
    decodes all three, which costs a tenth of a millisecond per token.
    """
    if not isinstance(token, str) or token.count(".") != 2:
        raise UnusableJwtError("is not a JWT")
    match = _HEADER_SEGMENT.fullmatch(token.partition(".")[0])
    if match is None:
        raise UnusableJwtError("is not a JWT")
    segment = match.group(1)
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error) as exc:  # UnicodeDecodeError is a ValueError
        raise UnusableJwtError("is not a JWT") from exc
    if not isinstance(header, dict):
        raise UnusableJwtError("is not a JWT")
    return header


def rs256_signing_key(config: AuthConfig, token: str) -> jwt.PyJWK:
    """Return the Wristband key that signed ``token`` (RS256 only), from the cached JWKS."""
    header = unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise UnusableJwtError(f"must be signed with {ALGORITHM}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise UnusableJwtError("has no kid in its header")
    key = _jwks.get(config, kid)
    if key is None:
        raise UnknownSigningKeyError("is signed with a key Wristband does not publish")
    return key


def trusted_key(config: AuthConfig, kid: str) -> jwt.PyJWK | None:
    """Return the key object the cache trusts now for ``kid``, never fetching: ``None`` when
    the keys lack it or are due for a re-fetch (which a full check then makes, once)."""
    state = _jwks.issuers.get(config.issuer)
    keys = None if state is None or time.monotonic() >= state.expires_at else state.keys
    return None if keys is None else keys.get(kid)


def verify_rs256(
    config: AuthConfig, token: str, *, required: list[str], audience: str | None = None
) -> tuple[dict[str, Any], jwt.PyJWK]:
    """Return the claims of ``token`` and the key that verified it, once its RS256 signature
    (a key Wristband publishes), ``iss`` (this application's issuer), ``exp`` (``jwt_leeway``
    of clock skew), the ``required`` claims and, when given, ``audience`` are checked.

    Raises ``UnusableJwtError`` (``UnknownSigningKeyError`` for an unknown ``kid``) when no
    key can check it, ``jwt.InvalidTokenError`` when a check fails, and
    ``WristbandUnavailableError`` when the keys cannot be had.
    """
    key = rs256_signing_key(config, token)
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=[ALGORITHM],
        audience=audience,
        issuer=config.issuer,
        leeway=config.jwt_leeway,
        options={"require": required, "verify_aud": audience is not None},
    )
    return claims, key
