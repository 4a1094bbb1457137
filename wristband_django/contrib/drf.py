"""Django REST framework authentication and permission classes (needs the ``drf`` extra).

``WristbandSessionAuthentication``: the browser's Wristband session (cookie), refreshed
through the same single-flight refresh as the middleware, with DRF's CSRF check.
``WristbandBearerAuthentication``: ``Authorization: Bearer <Wristband access token>``,
validated locally against Wristband's JWKS.
``HasWristbandRole``: the caller has one of a view's Wristband roles (403 otherwise; 401
when not authenticated at all).
``HasWristbandScopes``: the caller's credential has every one of a view's scopes (403
otherwise, for a bearer caller with RFC 6750's ``insufficient_scope`` challenge; 401 when
not authenticated at all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

# Only modules that do not read DRF's settings when imported: ``rest_framework.views`` (and
# anything importing it) reads DEFAULT_AUTHENTICATION_CLASSES, which names this module, so
# importing it here would loop when these classes are DRF's defaults.
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import BasePermission

from wristband_django.errors import (
    InvalidAccessTokenError,
    StoreUnavailableError,
    WristbandError,
    WristbandUnavailableError,
)
from wristband_django.flows.authentication import BEARER, SESSION, authenticate
from wristband_django.flows.django_login import token_caller
from wristband_django.types import (
    AccessTokenClaims,
    WristbandRequest,
    WristbandSession,
    WristbandUser,
    role_names,
)
from wristband_django.web.guards import checked_scopes
from wristband_django.web.responses import (
    insufficient_scope_challenge,
    log_refusal,
    missing_scopes_description,
)

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

__all__ = [
    "HasWristbandRole",
    "HasWristbandScopes",
    "InsufficientScope",
    "SessionStoreUnavailable",
    "WristbandBearerAuthentication",
    "WristbandSessionAuthentication",
    "WristbandUnavailable",
]


class SessionStoreUnavailable(exceptions.APIException):
    """503: the session store is down; the user is still logged in (not a 401)."""

    status_code = StoreUnavailableError.status_code
    default_detail = StoreUnavailableError.public_description
    default_code = StoreUnavailableError.public_error
    wait = StoreUnavailableError.retry_after  # DRF's exception handler sends it as Retry-After


class WristbandUnavailable(exceptions.APIException):
    """503 with ``Retry-After``: Wristband's keys could not be fetched, so no token can be
    checked right now; or a session's refresh found Wristband down and
    ``keep_session_when_wristband_unavailable`` kept the session."""

    status_code = WristbandUnavailableError.status_code
    default_detail = WristbandUnavailableError.public_description
    default_code = WristbandUnavailableError.public_error
    wait = WristbandUnavailableError.retry_after  # DRF's exception handler sends it


#: Where a request keeps the bearer token refusal its 401 answers (see ``_challenge``).
_REFUSAL_ATTRIBUTE = "_wristband_drf_refused_token"


def _api_exception(request: HttpRequest, error: WristbandError) -> exceptions.APIException:
    """Return DRF's exception for ``error`` (logged): 401 for a bad token (its challenge is
    remembered on ``request`` for ``_challenge``), 503 for the store or Wristband down."""
    log_refusal(error)
    if isinstance(error, StoreUnavailableError):
        return SessionStoreUnavailable()
    if isinstance(error, InvalidAccessTokenError):
        setattr(request, _REFUSAL_ATTRIBUTE, error)
        return exceptions.AuthenticationFailed(error.shown_description)
    return WristbandUnavailable()


def _challenge(request: Request, own: str) -> str:
    """Return the ``WWW-Authenticate`` challenge of a 401 to ``request``.

    DRF asks only the first authentication class, whichever refused the request. A request
    whose bearer token was refused gets the refusal's own challenge (RFC 6750's ``Bearer
    error="invalid_token"``, as the decorator and django-ninja answer), whatever the classes'
    order; any other request gets ``own``, the asked class's challenge."""
    refused = getattr(request._request, _REFUSAL_ATTRIBUTE, None)
    if isinstance(refused, WristbandError) and refused.www_authenticate is not None:
        return refused.www_authenticate
    return own


class WristbandSessionAuthentication(SessionAuthentication):
    """Authenticate with the Wristband session; unsafe methods need a CSRF token.

    ``request.user`` is the Django user when ``AuthenticationMiddleware`` has logged one
    in, else a ``WristbandUser``; ``request.auth`` is the ``WristbandSession``.
    """

    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[Any, WristbandSession] | None:
        try:
            found = authenticate(request._request, (SESSION,))  # refused on another tenant's host
        except WristbandError as exc:  # the store or Wristband down: the session kept
            raise _api_exception(request._request, exc) from exc
        wristband_session = cast(WristbandRequest, request._request).wristband
        if found is None or wristband_session is None:
            return None
        django_user = getattr(request._request, "user", None)
        if django_user is not None and django_user.is_authenticated:
            if not django_user.is_active:
                return None
            user: Any = django_user
        else:
            user = WristbandUser.from_session(wristband_session)
        self.enforce_csrf(request)  # DRF's own check, as SessionAuthentication does
        return user, wristband_session

    def authenticate_header(self, request: Request) -> str:
        """Return the challenge that makes DRF answer 401 (not 403) when no session is
        present; a refused bearer token's challenge when the request's token was refused."""
        return _challenge(request, f'Session realm="{self.www_authenticate_realm}"')


class WristbandBearerAuthentication(BaseAuthentication):
    """Authenticate with ``Authorization: Bearer <access token>`` (no session, no CSRF).

    ``request.user`` is a ``WristbandUser`` built from the claims (with
    ``bearer_django_user``, a person's Django user), ``request.auth`` the
    ``AccessTokenClaims``. Any invalid token is a 401 with a generic message; the token is
    never echoed.
    """

    keyword = "Bearer"
    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[Any, AccessTokenClaims] | None:
        try:
            # The token's tenant must be the host's, and a session beside it the same user's.
            user = authenticate(request._request, (BEARER,))
        except WristbandError as exc:
            raise _api_exception(request._request, exc) from exc
        claims = getattr(request._request, "wristband_token", None)  # authenticate() set it
        if user is None or claims is None:
            return None
        return token_caller(request._request, claims, user), claims  # looked up already

    def authenticate_header(self, request: Request) -> str:
        """Return ``Bearer realm="api"``, or a refused token's ``Bearer error="invalid_token"``."""
        return _challenge(request, f'{self.keyword} realm="{self.www_authenticate_realm}"')


def wristband_roles(request: Request) -> tuple[str, ...]:
    """Return the role names of a request authenticated by the classes above.

    They come from the session's userinfo (the ``roles`` scope) or the bearer token's claims;
    any other request has none."""
    auth = request.auth
    if isinstance(auth, WristbandSession):
        return role_names(auth.userinfo.get("roles"))
    if isinstance(auth, AccessTokenClaims):
        return auth.role_names
    return ()


class HasWristbandRole(BasePermission):
    """The caller has at least one of the view's ``wristband_roles`` (role names).

    ``permission_classes = [HasWristbandRole]`` with ``wristband_roles = ["app:admin"]`` on
    the view, or ``HasWristbandRole.any_of("app:admin", "app:editor")``. Not authenticated:
    DRF answers 401; authenticated without the role: 403.
    """

    roles: Sequence[str] = ()
    message = "You lack the role this needs."

    @classmethod
    def any_of(cls, *roles: str) -> type[HasWristbandRole]:
        """Return a permission class requiring one of ``roles``."""
        if not roles:
            raise ValueError("name at least one role")
        return type(f"HasWristbandRole[{', '.join(roles)}]", (cls,), {"roles": roles})

    def has_permission(self, request: Request, view: APIView) -> bool:
        wanted = set(self.roles or getattr(view, "wristband_roles", ()))
        if not wanted:
            raise ImproperlyConfigured(f"{type(view).__name__} names no wristband_roles")
        return bool(wanted.intersection(wristband_roles(request)))


def wristband_scopes(request: Request) -> tuple[str, ...]:
    """Return the scopes of a request authenticated by the classes above.

    A bearer token's ``scope`` claim, or the scopes Wristband granted the session (none for
    a session stored before sessions kept them); any other request has none."""
    auth = request.auth
    if isinstance(auth, WristbandSession):
        return auth.scopes or ()
    if isinstance(auth, AccessTokenClaims):
        return auth.scopes
    return ()


class InsufficientScope(exceptions.PermissionDenied):
    """403 naming the missing scopes; to a bearer caller with RFC 6750's
    ``WWW-Authenticate: Bearer error="insufficient_scope", scope="..."``."""

    default_code = "insufficient_scope"

    def __init__(self, required: Sequence[str], missing: Sequence[str], *, bearer: bool) -> None:
        super().__init__(missing_scopes_description(missing))
        # DRF's exception handler sends ``auth_header`` as WWW-Authenticate.
        self.auth_header = insufficient_scope_challenge(required) if bearer else None


class HasWristbandScopes(BasePermission):
    """The caller's credential has every one of the view's ``wristband_scopes``.

    ``permission_classes = [HasWristbandScopes]`` with ``wristband_scopes = ["reports:read"]``
    on the view, or ``HasWristbandScopes.all_of("reports:read", "reports:export")``. Not
    authenticated: DRF answers 401. Authenticated without a scope: ``InsufficientScope`` is
    raised (403 naming it, with the RFC 6750 challenge for a bearer token), so in an ``|``
    composition put this class last.
    """

    scopes: Sequence[str] = ()

    @classmethod
    def all_of(cls, *scopes: str) -> type[HasWristbandScopes]:
        """Return a permission class requiring every one of ``scopes``."""
        if not scopes:
            raise ValueError("name at least one scope")
        name = f"HasWristbandScopes[{', '.join(checked_scopes(scopes))}]"
        return type(name, (cls,), {"scopes": scopes})

    def has_permission(self, request: Request, view: APIView) -> bool:
        required = checked_scopes(self.scopes or getattr(view, "wristband_scopes", ()))
        if not required:
            raise ImproperlyConfigured(f"{type(view).__name__} names no wristband_scopes")
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401
        granted = set(wristband_scopes(request))
        missing = [scope for scope in required if scope not in granted]
        if missing:
            bearer = isinstance(request.auth, AccessTokenClaims)
            raise InsufficientScope(required, missing, bearer=bearer)
        return True
