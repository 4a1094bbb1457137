"""The one place that decides whether a request may reach a protected view, and if not,
what it is answered: 401 (no or bad credentials), 403 (missing role), 503 (an outage).

The decorator, the mixin and the middleware's ``protected_paths`` all ask ``denial``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable

from django.http import HttpRequest, HttpResponseBase

from wristband_django import responses
from wristband_django.errors import WristbandError
from wristband_django.flows.authentication import BEARER, SESSION, Strategy, authenticate
from wristband_django.store.outages import StoreUnavailableError
from wristband_django.types import WristbandUser
from wristband_django.wristband.access_tokens import InvalidAccessTokenError

logger = logging.getLogger(__name__)


def denial(
    request: HttpRequest,
    strategies: Iterable[Strategy],
    *,
    no_credentials: Callable[[], HttpResponseBase],
    roles: Collection[str] = (),
    missing_role: Callable[[WristbandUser], HttpResponseBase] = lambda user: responses.forbidden(),
) -> HttpResponseBase | None:
    """``None`` when the request may pass, else the answer to send.

    No credentials: ``no_credentials()``. A bad bearer token: 401 ``invalid_token``.
    Authenticated without any of ``roles`` (when given): ``missing_role(user)``. The
    session store or Wristband's keys unavailable: 503 with ``Retry-After``.
    """
    try:
        user = authenticate(request, strategies)
    except StoreUnavailableError as exc:
        logger.error("Session store unavailable (%s)", exc)
        return responses.store_unavailable()
    except InvalidAccessTokenError as exc:
        logger.info("Rejected a bearer token: %s", exc.error_description)
        return responses.invalid_token()
    except WristbandError as exc:
        logger.error("Could not validate a bearer token (%s)", exc.error)
        return responses.wristband_unavailable()
    if user is None:
        return no_credentials()
    if roles and not user.has_any_role(roles):
        logger.info("Refused %s: none of the required roles", request.path)
        return missing_role(user)
    return None


def no_credentials_answer(
    request: HttpRequest,
    strategies: Collection[Strategy],
    *,
    redirect_to_login: bool,
    login_url: str | None = None,
    redirect_field_name: str = responses.RETURN_URL_PARAMETER,
) -> HttpResponseBase:
    """A page's redirect to the Login endpoint (``redirect_to_login`` with the session
    strategy), else 401 JSON, with a bare ``Bearer`` challenge where a token would do."""
    if redirect_to_login and SESSION in strategies:
        return responses.redirect_to_login(request, login_url, redirect_field_name)
    return responses.unauthorized(request, login_url, bearer_challenge=BEARER in strategies)
