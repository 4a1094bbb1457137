"""django-ninja (1.x) authentication classes (needs the ``ninja`` extra).

``WristbandSessionAuth``: the browser's Wristband session (cookie), refreshed through the same
single-flight refresh as the middleware; unsafe methods need a CSRF token, as with DRF's
session authentication (checked only when a session is present, so it can follow a bearer
class in ``auth=[...]``). ``WristbandBearerAuth``: ``Authorization: Bearer <access token>``.

Both take ``roles=[...]`` (any of them, else 403) and ``scopes=[...]`` (all of them, else
403 naming them, for a bearer token with RFC 6750's ``WWW-Authenticate: Bearer
error="insufficient_scope", scope="..."``), and work in sync and async operations (ninja
runs them in a thread for async ones). ``request.auth`` is the ``WristbandUser``;
``request.wristband``, ``request.wristband_token``, ``request.wristband_user`` and, for a
bearer token, ``request.user`` are set as for plain views (``request.user`` is a person's
Django user with ``bearer_django_user``). ``add_exception_handlers(api)`` adds RFC 6750's
``WWW-Authenticate`` and ``Retry-After`` headers to their 401 and 503 answers.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from wristband_django.errors import WristbandError
from wristband_django.flows.authentication import BEARER, SESSION, Strategy, authenticate
from wristband_django.types import WristbandUser
from wristband_django.web.guards import checked_scopes, missing_scopes
from wristband_django.web.responses import (
    insufficient_scope_challenge,
    log_refusal,
    missing_scopes_description,
)

__all__ = [
    "WristbandAuthError",
    "WristbandBearerAuth",
    "WristbandSessionAuth",
    "add_exception_handlers",
]


class WristbandAuthError(HttpError):
    """An answer other than "try the next auth class": carries the headers it should have."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(status_code, message)
        self.headers = headers or {}

    @classmethod
    def from_error(cls, error: WristbandError) -> WristbandAuthError:
        """Return the answer to ``error`` (logged), with the status, description and
        ``WWW-Authenticate`` and ``Retry-After`` headers its class gives it."""
        log_refusal(error)
        headers = {}
        if error.www_authenticate is not None:
            headers["WWW-Authenticate"] = error.www_authenticate
        if error.retry_after is not None:
            headers["Retry-After"] = str(error.retry_after)
        return cls(error.status_code, error.shown_description, headers)


class _WristbandCaller:
    """What both classes share: the caller their ``strategies`` find, with one of their
    ``roles`` and every one of their ``scopes`` (else 403), or ``None``."""

    strategies: tuple[Strategy, ...]
    roles: tuple[str, ...]
    scopes: tuple[str, ...]

    def caller(self, request: HttpRequest) -> WristbandUser | None:
        try:
            user = authenticate(request, self.strategies)
        except WristbandError as exc:  # a bad token (401), the store or Wristband down (503)
            raise WristbandAuthError.from_error(exc) from exc
        if user is None:
            return None
        if self.roles and not user.has_any_role(self.roles):
            raise WristbandAuthError(403, "You lack the role this needs.")
        missing = missing_scopes(request, user, self.scopes) if self.scopes else ()
        if missing:
            challenge = {"WWW-Authenticate": insufficient_scope_challenge(self.scopes)}
            headers = challenge if self.strategies == (BEARER,) else None
            raise WristbandAuthError(403, missing_scopes_description(missing), headers)
        return user


class WristbandSessionAuth(_WristbandCaller, APIKeyCookie):
    """The Wristband session; ``csrf=True`` (the default) checks unsafe methods' CSRF token."""

    param_name: str = settings.SESSION_COOKIE_NAME
    strategies = (SESSION,)

    def __init__(
        self, *, roles: Collection[str] = (), scopes: Collection[str] = (), csrf: bool = True
    ) -> None:
        super().__init__(csrf=csrf)
        self.roles = tuple(roles)
        self.scopes = checked_scopes(scopes)

    def _get_key(self, request: HttpRequest) -> str | None:
        """Return the session cookie only: the CSRF check waits until a session is found.

        ``authenticate`` runs the CSRF check."""
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> WristbandUser | None:
        if key is None:
            return None
        user = self.caller(request)
        if user is not None and self._csrf_applies(request) and check_csrf(request) is not None:
            raise WristbandAuthError(403, "CSRF check failed.")
        return user

    def _csrf_applies(self, request: HttpRequest) -> bool:
        return self.csrf and not getattr(request, "_ninja_csrf_exempt", False)


class WristbandBearerAuth(_WristbandCaller, HttpBearer):
    """A Wristband access token, validated locally against Wristband's keys."""

    strategies = (BEARER,)

    def __init__(self, *, roles: Collection[str] = (), scopes: Collection[str] = ()) -> None:
        super().__init__()
        self.roles = tuple(roles)
        self.scopes = checked_scopes(scopes)

    # Not ninja's parsing: it logs the header's value, and a malformed one is refused here.
    # ``caller`` itself, not a method calling it: ninja calls this on every request.
    __call__ = _WristbandCaller.caller

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return self.caller(request)


def add_exception_handlers(api: NinjaAPI) -> None:
    """Answer ``WristbandAuthError`` with its headers (``WWW-Authenticate``, ``Retry-After``)."""

    def handler(request: HttpRequest, exc: Any) -> HttpResponse:  # a WristbandAuthError
        response = api.create_response(request, {"detail": exc.message}, status=exc.status_code)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    api.add_exception_handler(WristbandAuthError, handler)
