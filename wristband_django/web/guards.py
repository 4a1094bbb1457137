"""The one place that decides whether a request may reach a protected view, and if not,
what it is answered: 401 (no or bad credentials, or a login older than ``max_age``), 403
(missing role or scope), 503 (an outage).

The decorator, the mixin and the middleware's ``protected_paths`` all ask ``denial``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware

from wristband_django.checks.base import CSRF_MIDDLEWARE
from wristband_django.conf import get_config
from wristband_django.errors import WristbandError
from wristband_django.flows.authentication import BEARER, SESSION, Strategy, authenticate
from wristband_django.flows.login import authenticated_within
from wristband_django.flows.session_cookie import session_cookie_name
from wristband_django.store import django_internals
from wristband_django.types import WristbandRequest, WristbandUser
from wristband_django.web import responses
from wristband_django.wristband.browser_urls import with_query

logger = logging.getLogger(__name__)


def denial(
    request: HttpRequest,
    strategies: Iterable[Strategy],
    *,
    no_credentials: Callable[[], HttpResponseBase],
    roles: Collection[str] = (),
    missing_role: Callable[[WristbandUser], HttpResponseBase] = lambda user: responses.forbidden(),
    scopes: Sequence[str] = (),
    missing_scope: Callable[[WristbandUser], HttpResponseBase] | None = None,
    max_age: int | None = None,
    stale_login: Callable[[WristbandUser], HttpResponseBase] | None = None,
    check_csrf: bool = False,
) -> HttpResponseBase | None:
    """Return ``None`` when the request may pass, else the answer to send.

    No credentials: ``no_credentials()``. A bad bearer token: 401 ``invalid_token``.
    Authenticated without any of ``roles`` (when given): ``missing_role(user)``; without
    every one of ``scopes`` (when given): ``missing_scope(user)``, by default
    ``insufficient_scope_answer``'s 403. With
    ``max_age``, a caller whose last authentication is older (or unknown):
    ``stale_login(user)``, by default ``step_up_answer``'s 401. The session store or
    Wristband's keys unavailable: 503 with ``Retry-After``.

    CSRF follows the strategy that authenticated: a request a bearer token authenticated
    that carries no session cookie (which no browser sends by itself) skips
    ``CsrfViewMiddleware``; any other gets Django's CSRF check, here when ``check_csrf``
    (the decorator and the mixin, whose views ``CsrfViewMiddleware`` leaves to them), else
    from ``CsrfViewMiddleware`` itself.
    """
    try:
        user = authenticate(request, strategies)
    except WristbandError as exc:  # a bad token (401), the store or Wristband down (503)
        responses.log_refusal(exc)
        return responses.error_response(exc)
    if user is None:
        return no_credentials()
    if user.authenticated_by == BEARER and session_cookie_name() not in request.COOKIES:
        if not check_csrf:  # else the view is one CsrfViewMiddleware leaves to this
            django_internals.skip_csrf_middleware(request)
    elif check_csrf:
        refused = csrf_refusal(request)
        if refused is not None:
            return refused
    if roles and not user.has_any_role(roles):
        logger.info("Refused %s: none of the required roles", request.path)
        return missing_role(user)
    if scopes and missing_scopes(request, user, scopes):
        logger.info("Refused %s: lacks a required scope", request.path)
        if missing_scope is not None:
            return missing_scope(user)
        return insufficient_scope_answer(request, user, scopes)
    if max_age is not None and not authenticated_recently(request, user, max_age):
        logger.info("Refused %s: the last authentication is older than max_age", request.path)
        if stale_login is not None:
            return stale_login(user)
        return step_up_answer(request, user, max_age, redirect_to_login=False)
    return None


#: RFC 6749 3.3's scope-token: printable ASCII but space, ``"`` and ``\``.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def checked_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Return the required ``scopes`` as a tuple, or raise ``ValueError`` if they are not
    scope names (RFC 6749 3.3: printable ASCII, no space, ``"`` or backslash).

    Guards call this where views are declared, so a mistake shows at once."""
    if isinstance(scopes, str):
        raise ValueError("scopes must be a list of scope names, not one string")
    chosen = tuple(scopes)
    bad = [
        scope for scope in chosen if not isinstance(scope, str) or not _SCOPE_TOKEN.fullmatch(scope)
    ]
    if bad:
        raise ValueError(f"not scope names (RFC 6749 3.3): {bad!r}")
    return chosen


def granted_scopes(request: HttpRequest, user: WristbandUser) -> tuple[str, ...]:
    """Return the scopes of the credential that authenticated ``user`` on ``request``.

    A bearer token (a person's or a machine's): its ``scope`` claim. A session: the scopes
    Wristband granted at login or at the last refresh, none for a session stored before
    sessions kept them (``WristbandSession.scopes`` is ``None``)."""
    wristband_request = cast(WristbandRequest, request)
    if user.authenticated_by == BEARER:
        token = getattr(wristband_request, "wristband_token", None)
        return token.scopes if token is not None else ()
    entry = getattr(wristband_request, "wristband", None)
    return (entry.scopes or ()) if entry is not None else ()


def missing_scopes(
    request: HttpRequest, user: WristbandUser, required: Iterable[str]
) -> tuple[str, ...]:
    """Return the ``required`` scopes the caller was not granted (exact names), in order."""
    granted = set(granted_scopes(request, user))
    return tuple(scope for scope in required if scope not in granted)


def insufficient_scope_answer(
    request: HttpRequest, user: WristbandUser, required: Sequence[str]
) -> HttpResponseBase:
    """Return the 403 to a caller without every one of the ``required`` scopes, naming them.

    A bearer caller gets RFC 6750's ``WWW-Authenticate: Bearer error="insufficient_scope",
    scope="..."``; a session caller the JSON 403 of a missing role (``responses``)."""
    missing = missing_scopes(request, user, required)
    return responses.insufficient_scope(required, missing, bearer=user.authenticated_by == BEARER)


def csrf_refusal(request: HttpRequest) -> HttpResponseBase | None:
    """Run Django's own CSRF check of ``request``, if the project has ``CsrfViewMiddleware``.

    The check is run as DRF runs it for its session authentication. Return ``None`` when the
    request passes, else Django's CSRF failure answer (403)."""
    if CSRF_MIDDLEWARE not in settings.MIDDLEWARE:
        return None
    check = CsrfViewMiddleware(lambda request: HttpResponse())
    check.process_request(request)
    return check.process_view(request, lambda request: HttpResponse(), (), {})


def authenticated_recently(request: HttpRequest, user: WristbandUser, max_age: int) -> bool:
    """Tell whether ``user`` entered credentials at most ``max_age`` seconds ago.

    The time is the session's ``auth_time``, or a bearer token's ``auth_time`` claim, with
    ``jwt_leeway`` of clock skew. An unknown time is not recent."""
    wristband_request = cast(WristbandRequest, request)
    if user.authenticated_by == BEARER:
        token = getattr(wristband_request, "wristband_token", None)
        auth_time = token.claims.get("auth_time") if token is not None else None
    else:
        entry = getattr(wristband_request, "wristband", None)
        auth_time = entry.auth_time if entry is not None else None
    return authenticated_within(auth_time, max_age, leeway=get_config().jwt_leeway)


def step_up_login_url(
    request: HttpRequest,
    max_age: int,
    *,
    login_url: str | None = None,
    redirect_field_name: str = responses.RETURN_URL_PARAMETER,
) -> str:
    """Return the Login endpoint's URL asking Wristband for ``max_age``.

    The login is for the session's tenant and comes back to this request's page (a path
    when the Login endpoint is on this site, as ``responses.redirect_to_login``)."""
    back = responses.redirect_to_login(request, login_url, redirect_field_name)["Location"]
    entry = getattr(cast(WristbandRequest, request), "wristband", None)
    tenant: dict[str, str | None] = {}
    if entry is not None and entry.tenant_custom_domain:
        tenant["tenant_custom_domain"] = entry.tenant_custom_domain
    elif entry is not None:
        tenant["tenant_name"] = entry.tenant_name
    return with_query(back, {**tenant, "max_age": str(max_age)})


def step_up_answer(
    request: HttpRequest,
    user: WristbandUser,
    max_age: int,
    *,
    redirect_to_login: bool,
    login_url: str | None = None,
    redirect_field_name: str = responses.RETURN_URL_PARAMETER,
) -> HttpResponseBase:
    """Return the answer to a caller whose login is older than ``max_age``.

    A session caller with ``redirect_to_login`` gets a redirect through a login with
    ``max_age`` and back, else a 401 JSON with that login URL. A bearer caller gets a 401 with
    RFC 9470's ``insufficient_user_authentication``."""
    url = step_up_login_url(
        request, max_age, login_url=login_url, redirect_field_name=redirect_field_name
    )
    bearer = user.authenticated_by == BEARER
    if redirect_to_login and not bearer:
        return HttpResponseRedirect(url)
    return responses.step_up_required(request.build_absolute_uri(url), max_age, bearer=bearer)


def no_credentials_answer(
    request: HttpRequest,
    strategies: Collection[Strategy],
    *,
    redirect_to_login: bool,
    login_url: str | None = None,
    redirect_field_name: str = responses.RETURN_URL_PARAMETER,
) -> HttpResponseBase:
    """Return the answer to a request without credentials.

    With ``redirect_to_login`` and the session strategy, that is a redirect to the Login
    endpoint; otherwise a 401 JSON, with a bare ``Bearer`` challenge where a token would do.
    """
    if redirect_to_login and SESSION in strategies:
        return responses.redirect_to_login(request, login_url, redirect_field_name)
    return responses.unauthorized(request, login_url, bearer_challenge=BEARER in strategies)
