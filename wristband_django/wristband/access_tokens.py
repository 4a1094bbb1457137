"""Access-token (bearer) validation against Wristband's JWKS, with PyJWT.

RS256 only; ``iss`` must be this application's issuer, ``exp`` is required (``jwt_leeway``
seconds of clock skew), ``sub`` and ``client_id`` (RFC 9068) must be present, ``aud``,
when the token has one, must contain this application's client id or the token's own
``client_id`` (a machine client's token for itself; Wristband's access tokens may carry no
``aud``), and ``client_id`` must be in ``allowed_bearer_client_ids`` when that is set. The
JWKS cache is the one ID tokens use. Validation is local: a token revoked at Wristband
stays valid until it expires. A token that passed is remembered until then
(``validated_tokens``), so a client's next requests with it skip the checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

from wristband_django.conf import AuthConfig
from wristband_django.errors import InvalidAccessTokenError
from wristband_django.types import AccessTokenClaims
from wristband_django.types.claims import optional_str, read_only, roles, timestamp
from wristband_django.wristband import jwks, validated_tokens

#: Longer bearer values are rejected before any parsing.
MAX_TOKEN_LENGTH = 8192


def _typed_claims(claims: Mapping[str, Any]) -> AccessTokenClaims:
    """Return the typed claims of a token whose ``claims`` ``validate_access_token`` checked."""
    scope = claims.get("scope")
    expires_at = timestamp(claims["exp"])
    if expires_at is None:  # PyJWT checked it is a number; typed for mypy
        raise InvalidAccessTokenError("the access token has no usable exp")
    return AccessTokenClaims(
        user_id=claims["sub"],
        client_id=claims["client_id"],
        tenant_id=optional_str(claims.get("tnt_id")),
        application_id=optional_str(claims.get("app_id")),
        roles=roles(claims.get("roles")),
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
        expires_at=expires_at,
        issued_at=timestamp(claims.get("iat")),
        custom_claims=read_only(claims.get("custom_claims")),
        claims=read_only(claims),
    )


#: Why PyJWT refused a token, completing "the access token ...": the first class that matches
#: wins (``InvalidSignatureError`` is a ``DecodeError``). Claim names only, never values.
_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "has expired (its exp is past, beyond jwt_leeway)"),
    (jwt.InvalidIssuerError, "is from another issuer (iss is not this application's Wristband)"),
    (jwt.InvalidAudienceError, "is for another audience (aud)"),
    (jwt.ImmatureSignatureError, "is not valid yet (iat or nbf is in the future)"),
    (jwt.InvalidIssuedAtError, "has an iat that is not a number"),
    (jwt.InvalidSignatureError, "has a signature that does not verify with Wristband's key"),
    (jwt.DecodeError, "is malformed (a segment or a time claim that cannot be read)"),
)


def refusal_reason(exc: jwt.InvalidTokenError) -> str:
    """Return why PyJWT refused a token, completing "the access token ...".

    A missing claim is named (``lacks the required claim 'iss'``); a wrong issuer or
    audience, an expiry, a signature each say which check failed. The words name claims,
    never their values, so they may be logged."""
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"lacks the required claim {exc.claim!r}"
    for error_class, reason in _REASONS:
        if isinstance(exc, error_class):
            return reason
    return f"is invalid ({type(exc).__name__})"


def _audience_ok(aud: Any, *client_ids: str) -> bool:
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    return any(client_id in audiences for client_id in client_ids)


def validate_access_token(config: AuthConfig, token: str) -> AccessTokenClaims:
    """Return the claims of a valid access token; raise ``InvalidAccessTokenError`` otherwise.

    A key Wristband does not publish (an unknown ``kid``) is an ``InvalidAccessTokenError``
    like any bad token. ``WristbandUnavailableError``, the only other exception, means that no
    usable keys could be had (now, or recently, since the cache backs off after failures), or
    that an unknown ``kid`` could not be looked up because the re-fetch failed (see ``jwks``).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidAccessTokenError("the access token is empty or too long")
    remembered = validated_tokens.recall(config, token)
    if remembered is not None:
        return remembered
    try:  # the JWKS cache ID tokens use too; aud is checked below, when present
        claims, key = jwks.verify_rs256(config, token, required=["iss", "sub", "exp"])
    except jwks.UnusableJwtError as exc:
        raise InvalidAccessTokenError(f"the access token {exc}") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidAccessTokenError(f"the access token {refusal_reason(exc)}") from exc
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidAccessTokenError("the access token has no subject")
    client_id = claims.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise InvalidAccessTokenError("the access token has no client_id (an ID token?)")
    if "aud" in claims and not _audience_ok(claims["aud"], config.client_id, client_id):
        raise InvalidAccessTokenError("the access token is for another audience")
    allowed = config.allowed_bearer_client_ids
    if allowed is not None and client_id not in allowed:
        raise InvalidAccessTokenError("the access token's client is not allowed here")
    typed = _typed_claims(claims)
    validated_tokens.remember(config, token, typed, key)
    return typed
