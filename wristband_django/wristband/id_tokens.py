"""ID token validation (OpenID Connect Core 3.1.3.7) against Wristband's keys, with PyJWT."""

from __future__ import annotations

import hmac
from typing import Any

import jwt

from wristband_django.conf import AuthConfig
from wristband_django.errors import InvalidIdTokenError, UnknownKeyIdTokenError
from wristband_django.wristband import jwks


def validate_id_token(
    config: AuthConfig, token: str, *, nonce: str | None = None, expected_sub: str | None = None
) -> dict[str, Any]:
    """Return the claims of a valid ID token; raise ``InvalidIdTokenError`` otherwise.

    The checks cover the RS256 signature, ``iss``, ``aud`` (which must contain the client
    id), ``exp`` and ``iat`` (with leeway), ``nonce`` when one was sent, and ``sub`` when it
    is known.
    """
    try:
        claims, _ = jwks.verify_rs256(
            config, token, required=["iss", "sub", "aud", "exp", "iat"], audience=config.client_id
        )
    except jwks.UnknownSigningKeyError as exc:
        raise UnknownKeyIdTokenError(f"the ID token {exc}") from exc
    except jwks.UnusableJwtError as exc:
        raise InvalidIdTokenError(f"the ID token {exc}") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidIdTokenError(f"the ID token is invalid ({type(exc).__name__})") from exc
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidIdTokenError("the ID token has no subject")
    if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise InvalidIdTokenError("the ID token nonce does not match this login")
    if expected_sub is not None and claims["sub"] != expected_sub:
        raise InvalidIdTokenError("the ID token is for another user")
    return claims
