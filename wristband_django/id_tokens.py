"""ID token validation (OpenID Connect Core 3.1.3.7) against Wristband's JWKS, with PyJWT.

RS256 only. The JWKS is cached per process and re-fetched once when a token
names a ``kid`` the cache does not know (key rotation).
"""

from __future__ import annotations

import hmac
import threading
import time
from typing import Any

import jwt

from wristband_django.client import get_client
from wristband_django.conf import AuthConfig, register_cache_reset
from wristband_django.errors import InvalidIdTokenError

ALGORITHM = "RS256"
LEEWAY_SECONDS = 60
#: Unknown kids trigger at most one JWKS re-fetch in this interval (no fetch storms).
MIN_REFETCH_INTERVAL_SECONDS = 10.0


class _JwksCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.keys: dict[str, dict[str, jwt.PyJWK]] = {}
        self.refetched_at: dict[str, float] = {}

    def _fetch(self, config: AuthConfig) -> dict[str, jwt.PyJWK]:
        keys = {}
        for data in get_client(config).jwks()["keys"]:
            if not isinstance(data, dict) or data.get("kty") != "RSA" or not data.get("kid"):
                continue
            try:
                keys[str(data["kid"])] = jwt.PyJWK(data, algorithm=ALGORITHM)
            except jwt.PyJWKError:
                continue
        return keys

    def _may_fetch(self, issuer: str, *, first: bool) -> bool:
        if first:
            return True
        now = time.monotonic()
        if (
            now - self.refetched_at.get(issuer, -MIN_REFETCH_INTERVAL_SECONDS)
            < MIN_REFETCH_INTERVAL_SECONDS
        ):
            return False
        self.refetched_at[issuer] = now
        return True

    def get(self, config: AuthConfig, kid: str) -> jwt.PyJWK | None:
        issuer = config.issuer
        key = self.keys.get(issuer, {}).get(kid)
        if key is not None:
            return key
        with self.lock:
            cached = self.keys.get(issuer)
            key = cached.get(kid) if cached is not None else None
            if key is None and self._may_fetch(issuer, first=cached is None):
                self.keys[issuer] = self._fetch(config)
                key = self.keys[issuer].get(kid)
        if key is None:
            raise InvalidIdTokenError(
                "the ID token is signed with a key Wristband does not publish"
            )
        return key


_jwks = _JwksCache()
register_cache_reset(_jwks.clear)


class UnusableJwtError(Exception):
    """Why a JWT cannot even be checked; the message completes "the token ..."."""


def rs256_signing_key(config: AuthConfig, token: str) -> jwt.PyJWK:
    """The Wristband key that signed ``token`` (RS256 only), from the cached JWKS."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise UnusableJwtError("is not a JWT") from exc
    if header.get("alg") != ALGORITHM:
        raise UnusableJwtError(f"must be signed with {ALGORITHM}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise UnusableJwtError("has no kid in its header")
    key = _jwks.get(config, kid)
    if key is None:
        raise UnusableJwtError("is signed with a key Wristband does not publish")
    return key


def validate_id_token(
    config: AuthConfig, token: str, *, nonce: str | None = None, expected_sub: str | None = None
) -> dict[str, Any]:
    """The claims of a valid ID token; ``InvalidIdTokenError`` otherwise.

    Checks the RS256 signature, ``iss``, ``aud`` (contains the client id), ``exp``
    and ``iat`` (with leeway), ``nonce`` when one was sent, and ``sub`` when known.
    """
    try:
        key = rs256_signing_key(config, token)
    except UnusableJwtError as exc:
        raise InvalidIdTokenError(f"the ID token {exc}") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[ALGORITHM],
            audience=config.client_id,
            issuer=config.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidIdTokenError(f"the ID token is invalid ({type(exc).__name__})") from exc
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidIdTokenError("the ID token has no subject")
    if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise InvalidIdTokenError("the ID token nonce does not match this login")
    if expected_sub is not None and claims["sub"] != expected_sub:
        raise InvalidIdTokenError("the ID token is for another user")
    return claims
