"""Who is calling: the Wristband session (cookie) or a bearer access token, in a chosen order.

``authenticate(request, strategies)`` is what the decorator, the mixin and the middleware's
``protected_paths`` share. It sets ``request.wristband`` (the session or ``None``),
``request.wristband_token`` (the bearer token's claims or ``None``) and
``request.wristband_user``. Each source is looked at once per request, however many of
them ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, cast

from django.http import HttpRequest

from wristband_django.conf import get_config
from wristband_django.flows.current_session import resolve_wristband_session
from wristband_django.types import AccessTokenClaims, WristbandRequest, WristbandUser
from wristband_django.wristband.access_tokens import InvalidAccessTokenError, validate_access_token

Strategy = Literal["session", "bearer"]
SESSION: Strategy = "session"
BEARER: Strategy = "bearer"
STRATEGIES: tuple[Strategy, ...] = (SESSION, BEARER)

_BEARER_RESULT = "_wristband_bearer_result"


def checked_strategies(strategies: Iterable[str]) -> tuple[Strategy, ...]:
    """``strategies`` as a tuple, or ``ValueError`` (at import time, where views are declared)."""
    chosen = tuple(strategies)
    if isinstance(strategies, str) or not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"strategies must be a non-empty sequence from {STRATEGIES}")
    unknown = [s for s in chosen if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; choose from {STRATEGIES}")
    return cast(tuple[Strategy, ...], chosen)


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; ``None`` without one (or
    with another scheme). A malformed bearer header is an ``InvalidAccessTokenError``."""
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    parts = rest.split()
    if len(parts) != 1 or not parts[0].isascii():
        raise InvalidAccessTokenError("the Authorization header is not 'Bearer <token>'")
    return parts[0]


def _bearer_claims(request: HttpRequest) -> AccessTokenClaims | None:
    """The validated bearer token's claims, ``None`` without one; remembered per request."""
    cached = request.__dict__.get(_BEARER_RESULT)
    if cached is not None:
        if isinstance(cached, InvalidAccessTokenError):
            raise cached
        return cached if isinstance(cached, AccessTokenClaims) else None
    try:
        token = bearer_token(request)
        claims = None if token is None else validate_access_token(get_config(), token)
    except InvalidAccessTokenError as exc:
        request.__dict__[_BEARER_RESULT] = exc
        raise
    request.__dict__[_BEARER_RESULT] = claims if claims is not None else False
    return claims


def authenticate(request: HttpRequest, strategies: Iterable[Strategy]) -> WristbandUser | None:
    """The caller, trying ``strategies`` in order; ``None`` when none applies.

    The first strategy that finds credentials decides: a session found wins; a bearer token
    found is validated, and a bad one is refused (``InvalidAccessTokenError``), never
    skipped in favour of the next strategy. Raises ``StoreUnavailableError`` when the
    session store is down and ``WristbandError`` when Wristband's keys cannot be had.
    """
    wristband_request = cast(WristbandRequest, request)
    wristband_request.wristband_token = None
    user = None
    for strategy in strategies:
        if strategy == SESSION:
            entry = resolve_wristband_session(request)
            if entry is not None:
                user = WristbandUser.from_session(entry)
                break
        else:
            claims = _bearer_claims(request)
            if claims is not None:
                wristband_request.wristband_token = claims
                user = WristbandUser.from_access_token(claims)
                break
    if not hasattr(request, "wristband"):
        wristband_request.wristband = None
    wristband_request.wristband_user = user
    return user
