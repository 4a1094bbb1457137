"""Access-token (bearer) validation against Wristband's JWKS, with PyJWT.

RS256 only; ``iss`` must be this application's issuer, ``exp`` is required (60 s leeway),
``sub`` and ``client_id`` (RFC 9068) must be present, and ``aud``, when the token has
one, must contain this client id (Wristband's access tokens may carry none). The JWKS
cache is the one ID tokens use. Validation is local: a token revoked at Wristband stays
valid until it expires.
"""

from __future__ import annotations

from typing import Any

import jwt

from wristband_django.conf import AuthConfig
from wristband_django.errors import WristbandError
from wristband_django.wristband import jwks

#: Longer bearer values are rejected before any parsing.
MAX_TOKEN_LENGTH = 8192


class InvalidAccessTokenError(WristbandError):
    """The access token failed validation; the description never contains the token."""

    def __init__(self, error_description: str):
        super().__init__("invalid_token", error_description)


def _audience_ok(aud: Any, client_id: str) -> bool:
    if isinstance(aud, str):
        return aud == client_id
    return isinstance(aud, list) and client_id in aud


def validate_access_token(config: AuthConfig, token: str) -> dict[str, Any]:
    """The claims of a valid access token; ``InvalidAccessTokenError`` otherwise.

    A key Wristband does not publish (an unknown ``kid``) is an ``InvalidAccessTokenError``
    like any bad token; a ``WristbandError`` (usually ``WristbandUnavailableError``) means
    the JWKS could not be fetched, now or recently (the cache backs off after failures).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidAccessTokenError("the access token is empty or too long")
    try:
        key = jwks.rs256_signing_key(config, token)  # the JWKS cache ID tokens use too
    except jwks.UnusableJwtError as exc:
        raise InvalidAccessTokenError(f"the access token {exc}") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[jwks.ALGORITHM],
            issuer=config.issuer,
            leeway=jwks.LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "exp"], "verify_aud": False},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidAccessTokenError(
            f"the access token is invalid ({type(exc).__name__})"
        ) from exc
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidAccessTokenError("the access token has no subject")
    if not isinstance(claims.get("client_id"), str):
        raise InvalidAccessTokenError("the access token has no client_id (an ID token?)")
    if "aud" in claims and not _audience_ok(claims["aud"], config.client_id):
        raise InvalidAccessTokenError("the access token is for another audience")
    return claims
