"""Who is calling: the Wristband session (cookie) or a bearer access token, in a chosen order.

``authenticate(request, strategies)`` is what the decorator, the mixin and the middleware's
``protected_paths`` share. It sets ``request.wristband`` (the session or ``None``),
``request.wristband_token`` (the bearer token's claims or ``None``) and
``request.wristband_user``. Each source is looked at once per request, however many of
them ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django.http import HttpRequest

from wristband_django.conf import AuthConfig, get_config
from wristband_django.conf.auth_config import STRATEGIES, Strategy
from wristband_django.errors import InvalidAccessTokenError
from wristband_django.flows.current_session import resolve_wristband_session
from wristband_django.flows.django_login import is_django_login, token_caller
from wristband_django.flows.session_cookie import session_cookie_name
from wristband_django.flows.tenant_hosts import check_token_host
from wristband_django.store import django_internals
from wristband_django.types import (
    AccessTokenClaims,
    WristbandRequest,
    WristbandSession,
    WristbandUser,
)
from wristband_django.wristband import validated_tokens
from wristband_django.wristband.access_tokens import validate_access_token

__all__ = [
    "BEARER",
    "SESSION",
    "STRATEGIES",
    "Strategy",
    "authenticate",
    "bearer_token",
    "checked_strategies",
]

SESSION: Strategy = "session"
BEARER: Strategy = "bearer"

_BEARER_RESULT = "_wristband_bearer_result"


def checked_strategies(strategies: Iterable[str]) -> tuple[Strategy, ...]:
    """Return ``strategies`` as a tuple, or raise ``ValueError`` if they are not valid.

    Guards call this at import time, where views are declared, so a mistake shows at once."""
    chosen = tuple(strategies)
    if isinstance(strategies, str) or not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"strategies must be a non-empty sequence from {STRATEGIES}")
    unknown = [s for s in chosen if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; choose from {STRATEGIES}")
    return cast(tuple[Strategy, ...], chosen)


def bearer_token(request: HttpRequest) -> str | None:
    """Return the token of an ``Authorization: Bearer <token>`` header.

    Return ``None`` without such a header (or with another scheme), and raise
    ``InvalidAccessTokenError`` for a malformed bearer header."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if not header:
        return None
    scheme, _, rest = str(header).strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = rest.strip()  # RFC 6750: "Bearer" 1*SP b64token; the JWT checks its characters
    if not token or not token.isascii() or " " in token or "\t" in token:
        raise InvalidAccessTokenError("the Authorization header is not 'Bearer <token>'")
    return token


def _bearer_claims(request: HttpRequest, config: AuthConfig) -> AccessTokenClaims | None:
    """Return the validated bearer token's claims, ``None`` without a token; the answer is
    remembered for the rest of the request. A token of another tenant than the host's is an
    ``InvalidAccessTokenError`` like any token that is no good here."""
    found: AccessTokenClaims | InvalidAccessTokenError | bool | None
    found = request.__dict__.get(_BEARER_RESULT)
    if found is None:  # first asked: False (no token), the claims, or why they are refused
        try:
            token = bearer_token(request)
            if token is None:
                found = False
            else:  # a token that passed every check before: recalled, no full check called
                claims = validated_tokens.recall(config, token) or validate_access_token(
                    config, token
                )
                check_token_host(request, config, claims)
                found = claims
        except InvalidAccessTokenError as exc:
            found = exc
        request.__dict__[_BEARER_RESULT] = found
    if isinstance(found, InvalidAccessTokenError):
        raise found
    return found if isinstance(found, AccessTokenClaims) else None


def _session_of_same_caller(
    request: HttpRequest, claims: AccessTokenClaims
) -> WristbandSession | None:
    """Return the request's Wristband session if it has one, which must be the token's user's.

    A request whose session and bearer token name different users (or tenants) is refused
    (``InvalidAccessTokenError``): the view must see one caller, not a session of one user
    beside a token of another. Asked only for a request that carries a session cookie.
    """
    entry = resolve_wristband_session(request)
    if entry is not None and (entry.user_id, entry.tenant_id) != (
        claims.user_id,
        claims.tenant_id,
    ):
        raise InvalidAccessTokenError("the bearer token and the session are different users'")
    return entry


def authenticate(request: HttpRequest, strategies: Iterable[Strategy]) -> WristbandUser | None:
    """Return the caller, trying ``strategies`` in order; ``None`` when none applies.

    The first strategy that finds credentials decides: a session found wins; a bearer token
    found is validated, and a bad one is refused (``InvalidAccessTokenError``), never
    skipped in favour of the next strategy. A credential of another tenant than the one the
    request's host names does not count here (``flows.tenant_hosts``): a session is then
    not found (and kept), a token is refused. A bearer token sent with a session of another
    user is refused too.

    Every attribute the view sees then describes that one caller: ``request.wristband`` (the
    session, ``None`` when a token decided), ``request.wristband_token`` (the token's
    claims, ``None`` when the session decided), ``request.wristband_user``, and, when a
    token decided, ``request.user`` (the caller's ``WristbandUser``, or with
    ``bearer_django_user`` a person's Django user, a person without an active one being
    refused; left alone when the request's session is the same user's Django login). Raises
    ``StoreUnavailableError`` when the session store is down and ``WristbandError`` when
    Wristband's keys cannot be had.
    """
    user = entry = claims = None
    for strategy in strategies:
        if strategy == SESSION:
            entry = resolve_wristband_session(request)
            if entry is not None:
                user = WristbandUser.from_session(entry)
                break
        else:
            config = get_config()
            claims = _bearer_claims(request, config)
            if claims is not None:
                user = WristbandUser.from_access_token(claims)
                same_caller_session = (  # every bearer request asks: no call without a cookie
                    _session_of_same_caller(request, claims)
                    if session_cookie_name() in request.COOKIES
                    else None
                )
                # With bearer_django_user, a person's Django user (else no call: every request)
                caller = (
                    token_caller(request, claims, user, config)
                    if config.bearer_django_user
                    else user
                )
                # request.user is the caller, unless the session beside the token (the same
                # user's) logged that user in as a Django user
                if same_caller_session is None or not is_django_login(request.session):
                    django_internals.set_request_user(request, caller)
                break
    by_token = user is not None and user.authenticated_by == BEARER
    wristband_request: WristbandRequest = request  # type: ignore[assignment]  # cast() is a call
    wristband_request.wristband = None if by_token else entry
    wristband_request.wristband_token = claims if by_token else None
    wristband_request.wristband_user = user
    return user
