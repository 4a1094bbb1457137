"""The bases of the endpoints in ``wristband_django.views``.

``WristbandView``, every endpoint's: no caching, one value per query parameter, a total
deadline for its calls to Wristband, and the error page for what goes wrong.
``SessionDataView``, the JSON endpoints': the session (refreshed if expired) or 401.

The views users subclass (``LoginView``, ``CallbackView``, ``LogoutView``, ``SessionView``,
``TokenView``) are defined in ``wristband_django.views``.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views import View

from wristband_django.conf import AuthConfig, get_config
from wristband_django.deadlines import deadline
from wristband_django.errors import (
    StoreUnavailableError,
    WristbandError,
    WristbandUnavailableError,
)
from wristband_django.flows.current_session import resolve_wristband_session
from wristband_django.flows.login_restarts import RestartLimitError
from wristband_django.store import locations
from wristband_django.store.stored_session import STORE_ERRORS, keep_session_cookie
from wristband_django.types import WristbandSession
from wristband_django.web import error_messages, retry_links
from wristband_django.web.responses import error_response, log_refusal, unauthorized
from wristband_django.wristband.auto_configuration import SdkConfiguration, get_sdk_configuration
from wristband_django.wristband.tenants import Tenant

logger = logging.getLogger(__name__)

#: What a session store that does not answer raises, ours and its client's.
STORE_DOWN_ERRORS: tuple[type[BaseException], ...] = (StoreUnavailableError, *STORE_ERRORS)


def store_down(exc: BaseException) -> StoreUnavailableError:
    """Return ``exc``, a store that did not answer, as the ``StoreUnavailableError`` it means."""
    if isinstance(exc, StoreUnavailableError):
        return exc
    return StoreUnavailableError(type(exc).__name__)


class Redirect(HttpResponseRedirect):
    """A redirect that may go to another host (Wristband's); targets are built, not echoed."""

    allowed_schemes = ["http", "https"]


def _duplicated_parameter(request: HttpRequest) -> str | None:
    """Return the name of a query parameter given more than once, or ``None``."""
    for key, values in request.GET.lists():
        if len(values) > 1:
            return key
    return None


class WristbandView(View):
    """Shared behaviour: no caching, duplicate-parameter rejection, error rendering."""

    http_method_names = ["get"]
    error_template_name = "wristband_django/error.html"

    @cached_property
    def config(self) -> AuthConfig:
        return get_config()

    @cached_property
    def sdk(self) -> SdkConfiguration:
        return get_sdk_configuration(self.config)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        duplicated = _duplicated_parameter(request)
        if duplicated is not None:
            response: HttpResponseBase = self.error_response(
                WristbandError(
                    "invalid_request",
                    gettext('The query parameter "%(name)s" is given more than once.')
                    % {"name": duplicated},
                ),
                status=400,
            )
        else:
            try:
                seconds = self.get_deadline()
                with deadline(seconds) if seconds is not None else nullcontext():
                    response = super().dispatch(request, *args, **kwargs)
            except STORE_DOWN_ERRORS as exc:  # before WristbandError: StoreUnavailableError is one
                response = self.store_unavailable_response(exc)
            except WristbandError as exc:
                logger.warning("Wristband is unavailable: %s", exc.error)
                response = self.error_response(exc, status=503 if exc.retryable else 502)
        add_never_cache_headers(response)
        return response

    def get_deadline(self) -> float | None:
        """Return the seconds all of this request's calls to Wristband may take together.

        Return ``None`` to give each call its own ``call_timeout``, for views that may first
        wait for a lock."""
        return self.config.call_timeout

    def page_context(self, **context: Any) -> dict[str, Any]:
        """Return the context of the pages these views render (the error page, the logout
        confirmation): ``context`` and ``return_url``, where their "go back" link leads (the
        ``default_return_url`` setting)."""
        return {"return_url": self.config.default_return_url, **context}

    def error_response(self, error: WristbandError, *, status: int) -> HttpResponse:
        """Render the error page: a sentence for a person (``web.error_messages``), then
        ``error``'s code and description as details, the retry and return links."""
        context = self.page_context(
            message=error_messages.user_message(error),
            error=error.error,
            error_description=error.error_description,
            help_url=error_messages.help_url(error.error),
            retry_url=self.get_retry_url(error),
        )
        return render(self.request, self.error_template_name, context, status=status)

    def get_retry_tenant(self) -> Tenant:
        """Return the tenant of the login that failed, for the error page's retry: none here;
        the Login and Callback endpoints return the one they know."""
        return Tenant()

    def get_retry_url(self, error: WristbandError) -> str | None:
        """Return the error page's "Try logging in again" link, or ``None`` for none.

        That is the Login endpoint for the failed login's tenant (``get_retry_tenant``, as
        far as it passes the Login endpoint's checks), or the new login a login restarted
        too often offers."""
        if isinstance(error, RestartLimitError):
            return error.retry_url
        return retry_links.retry_login_url(self.request, self.config, self.get_retry_tenant())

    def store_unavailable_response(self, exc: BaseException) -> HttpResponse:
        """Return a 503 for a session store that did not answer.

        The browser's cookie is left alone: nothing was ended, the user is still logged in."""
        down = store_down(exc)
        log_refusal(down)
        keep_session_cookie(self.request)
        shown = WristbandError(down.shown_error, locations.shown_description(down))  # DEBUG: where
        response = self.error_response(shown, status=down.status_code)
        response["Retry-After"] = str(down.retry_after)
        return response


class SessionDataView(WristbandView):
    """Base of the JSON endpoints: 401 without a Wristband session."""

    def get_deadline(self) -> float | None:
        """Return ``None``: a refresh bounds itself (``refresh_timeout``) once it holds the lock.

        The wait for the lock comes first, so no bound covers the whole request."""
        return None

    def get(self, request: HttpRequest) -> JsonResponse:
        try:
            wristband_session = resolve_wristband_session(request)  # refreshed if expired
        except (StoreUnavailableError, WristbandUnavailableError) as exc:  # the session kept
            log_refusal(exc)
            return error_response(exc)
        if wristband_session is None:
            return unauthorized(request)
        return JsonResponse(self.get_data(wristband_session))

    def get_data(self, wristband_session: WristbandSession) -> dict[str, Any]:
        """Return the JSON body for ``wristband_session``; each endpoint defines it."""
        raise NotImplementedError

    def error_response(self, error: WristbandError, *, status: int) -> HttpResponse:
        body = {"error": error.error, "error_description": error.error_description}
        return JsonResponse(body, status=status)
