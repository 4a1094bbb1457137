"""The Login, Callback, Logout, Session and Token endpoints.

Class-based and thin: each parses the request, calls a flow and builds the response.
Subclass them and override the ``get_*`` hooks (or class attributes) to customise; what
they share (no caching, the deadline, the error page) is their base,
``wristband_django.web.endpoint.WristbandView``. All are exempt from LoginRequiredMiddleware.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from wristband_django import signals
from wristband_django.errors import WristbandError
from wristband_django.flows import callback, login, logout, return_urls, session_cookie
from wristband_django.flows import login_state as login_state_cookie
from wristband_django.types import WristbandSession
from wristband_django.web import popup_done, retry_links
from wristband_django.web.endpoint import (
    STORE_DOWN_ERRORS,
    Redirect,
    SessionDataView,
    WristbandView,
    store_down,
)
from wristband_django.web.login_answer import login_answer
from wristband_django.web.login_not_required import LoginNotRequiredMixin
from wristband_django.wristband.tenants import Tenant, resolve_login_tenant

__all__ = [
    "CallbackView",
    "LoginView",
    "LogoutView",
    "SessionView",
    "TokenView",
]

logger = logging.getLogger(__name__)


class LoginView(LoginNotRequiredMixin, WristbandView):
    """Starts a login: redirects to Wristband's authorize endpoint for the resolved tenant.

    ``prompt`` (``login``, ``none``) and ``max_age`` (seconds, 0 to a year) pass to
    Wristband; any other value is a 400.
    """

    #: Fallbacks when the request names no tenant (``None``: use the settings' defaults).
    default_tenant_name: str | None = None
    default_tenant_custom_domain: str | None = None
    #: Django's redirect field, read when ``return_url`` is absent (``login_required``'s).
    redirect_field_name = return_urls.REDIRECT_FIELD_NAME

    def get_return_url(self) -> str | None:
        """Return where the browser lands after login, or ``None`` to use the request's.

        Override this method to choose the return URL: it wins over the ``return_url`` and
        ``next`` parameters and over ``state``, the return URL Wristband's tenant discovery
        hands back. It is still checked like any other return URL."""
        return None

    def get_custom_state(self) -> Any:
        """Return a JSON value to hand back to the callback's ``login_completed`` hook.

        Override this method to carry state through a login; the value must be JSON and at
        most 512 bytes, since it travels in a cookie."""
        return None

    def get(self, request: HttpRequest) -> HttpResponse:
        config = self.config
        try:
            prompt = login.parse_prompt(request.GET.get("prompt"))
            max_age = login.parse_max_age(request.GET.get("max_age"))
        except ValueError as exc:
            return self.error_response(WristbandError("invalid_request", str(exc)), status=400)
        tenant = resolve_login_tenant(
            request,
            config,
            self.sdk.parse_tenant_from_root_domain,
            default_tenant_name=self.default_tenant_name or config.default_tenant_name,
            default_tenant_custom_domain=(
                self.default_tenant_custom_domain or config.default_tenant_custom_domain
            ),
        )
        requested = self.get_return_url() or return_urls.requested_return_url(
            request, self.redirect_field_name
        )
        start = login.start_login(
            request,
            config,
            self.sdk,
            tenant,
            return_url=return_urls.safe_return_url(request, config, requested),
            custom_state=self.get_custom_state(),
            prompt=prompt,
            max_age=max_age,
        )
        return login_answer(request, config, self.sdk, start)

    def get_retry_tenant(self) -> Tenant:
        """Return the tenant this request's query names: the error page's retry keeps it."""
        return retry_links.requested_tenant(self.request)


class CallbackView(LoginNotRequiredMixin, WristbandView):
    """Completes a login: stores the session and redirects to the return URL."""

    def get_deadline(self) -> float | None:
        """Return ``callback_timeout``, the bound on all of the callback's calls to Wristband.

        The bound covers auto-configuration, the code exchange, the signing keys and userinfo.
        """
        return self.config.callback_timeout

    def get_success_url(self, return_url: str | None) -> str:
        return return_url or self.config.default_return_url

    def get_not_logged_in_url(self, return_url: str | None) -> str:
        """Return where a ``prompt=none`` login that found no Wristband session lands.

        The default is the login's return URL (else ``default_return_url``) with
        ``wristband_login=none`` added."""
        return login.not_logged_in_url(return_url, self.config.default_return_url)

    def login_completed(self, wristband_session: WristbandSession, custom_state: Any) -> None:
        """Override this method to act on a new login; it runs after the session is stored."""

    def get_retry_tenant(self) -> Tenant:
        """Return the tenant of the login this callback ends: the error page's retry keeps it."""
        return retry_links.callback_tenant(self.request, self.config)

    def login_failed(self, reason: str, error: WristbandError) -> HttpResponse | None:
        """Override this method to answer a callback that logs no one in.

        It is called before the ``login_failed`` signal, with the reason (a
        ``signals.LoginFailure`` value) and a ``WristbandError`` saying what happened. Return
        ``None`` to keep the default answer (a login restart, the error page, or a silent
        login's return), or a response to send instead."""
        return None

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            sdk = self.sdk
        except WristbandError as exc:  # auto-configuration: Wristband unavailable
            logger.warning("Wristband is unavailable: %s", exc.error)
            unavailable = self.error_response(exc, status=503 if exc.retryable else 502)
            return self._failed(callback.failure_reason(exc), exc, unavailable, prompt=None)
        result = callback.complete_login(request, self.config, sdk)
        login_state = result.login_state
        prompt = login_state.prompt if login_state is not None else None
        if result.outcome == "completed" and result.session is not None and login_state is not None:
            response = self._start_session(result.session, login_state.custom_state, prompt=prompt)
            if response is None:
                response = Redirect(self.get_success_url(login_state.return_url))
        else:
            error = result.error or WristbandError("server_error", "The login did not complete.")
            reason = result.reason or signals.LoginFailure.EXCHANGE_FAILED
            if result.outcome == "restart" and result.redirect_url:
                default: HttpResponse = Redirect(result.redirect_url)
            elif result.outcome == "not_logged_in":
                return_url = login_state.return_url if login_state is not None else None
                default = Redirect(self.get_not_logged_in_url(return_url))
            else:
                default = self.error_response(error, status=503 if error.retryable else 400)
            response = self._failed(reason, error, default, prompt=prompt)
        if callback.new_session_cookie(request):
            session_cookie.send_session_cookie(response, request.session)
        state = request.GET.get("state")
        if state:
            login_state_cookie.clear_cookie(
                request, response, state, self.config.login_state_secrets
            )
        return popup_done.keep_callback_opener(response, login_state)

    def _start_session(
        self, wristband_session: WristbandSession, custom_state: Any, *, prompt: str | None
    ) -> HttpResponse | None:
        """Store the session and tell the app; ``None`` when done, else the answer."""
        request = self.request
        try:
            started = callback.start_session(request, wristband_session)
        except STORE_DOWN_ERRORS as exc:
            down = store_down(exc)
            unavailable = self.store_unavailable_response(exc)
            reason = signals.LoginFailure.SESSION_STORE_UNAVAILABLE
            return self._failed(reason, down, unavailable, prompt=prompt)
        if not started:
            refused = WristbandError("access_denied", "This account may not use this site.")
            denied = self.error_response(refused, status=403)
            return self._failed(signals.LoginFailure.USER_REFUSED, refused, denied, prompt=prompt)
        self.login_completed(wristband_session, custom_state)
        signals.login_completed.send(
            WristbandSession,
            request=request,
            wristband_session=wristband_session,
            custom_state=custom_state,
        )
        return None

    def _failed(
        self, reason: str, error: WristbandError, default: HttpResponse, *, prompt: str | None
    ) -> HttpResponse:
        """Send the ``login_failed`` signal and return the hook's answer, else ``default``."""
        replacement = self.login_failed(reason, error)
        signals.login_failed.send(
            WristbandSession, request=self.request, reason=reason, error=error, prompt=prompt
        )
        return replacement if replacement is not None else default


@method_decorator([never_cache, csrf_protect], name="dispatch")
class LogoutView(LoginNotRequiredMixin, WristbandView):
    """Ends the session here and at Wristband. POST (CSRF-protected by the view itself, as
    Django's own ``LogoutView``: also without ``CsrfViewMiddleware``); GET only if allowed."""

    http_method_names = ["get", "post"]

    def get_deadline(self) -> float | None:
        """Return ``None``: the revoke bounds itself (``call_timeout``).

        It does so after waiting for a refresh in flight, so no bound covers the whole request.
        """
        return None

    def get_redirect_url(self) -> str | None:
        """Return where Wristband sends the browser after logout (by default, the setting)."""
        return self.config.logout_redirect_url

    def get_state(self) -> str | None:
        """Return a value Wristband hands back after logout (at most 512 characters)."""
        return self.request.GET.get("state") or self.request.POST.get("state")

    confirm_template_name = "wristband_django/logout_confirm.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        """Log out on a GET if ``allow_logout_get`` allows it; otherwise answer 405.

        With the setting, a top-level navigation this site started (per Fetch Metadata) logs
        out; any other GET (another site's link or image, an old browser) gets a page whose
        button logs out by POST."""
        if not self.config.allow_logout_get:
            return HttpResponseNotAllowed(["POST"])
        if not logout.is_own_top_level_navigation(request):
            logger.info("A logout by GET was not a same-site navigation: asking to confirm")
            return self.confirm_response()
        return self.post(request)

    def confirm_response(self) -> HttpResponse:
        """Render the page that asks to confirm a logout by POST (its form has the CSRF token)."""
        context = self.page_context(state=self.get_state() or "")
        return render(self.request, self.confirm_template_name, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        state = self.get_state()
        if state and len(state) > logout.MAX_STATE_LENGTH:
            error = WristbandError(
                "invalid_request", f"state must be at most {logout.MAX_STATE_LENGTH} characters"
            )
            return self.error_response(error, status=400)
        wristband_session = logout.log_out(request, self.config)
        url = logout.wristband_logout_url(
            request,
            self.config,
            self.sdk,
            wristband_session,
            redirect_url=self.get_redirect_url(),
            state=state,
        )
        user_id = wristband_session.user_id if wristband_session is not None else None
        signals.logged_out.send(WristbandSession, request=request, user_id=user_id)
        return Redirect(url)


class SessionView(LoginNotRequiredMixin, SessionDataView):
    """``{"userId", "tenantId", "metadata"}`` for the front end; never a token."""

    def get_metadata(self, wristband_session: WristbandSession) -> dict[str, Any]:
        claims = self.config.session_metadata_claims
        values = {name: wristband_session.claim(name) for name in claims}
        return {name: value for name, value in values.items() if value is not None}

    def get_data(self, wristband_session: WristbandSession) -> dict[str, Any]:
        ids = {"userId": wristband_session.user_id, "tenantId": wristband_session.tenant_id}
        return {**ids, "metadata": self.get_metadata(wristband_session)}


class TokenView(LoginNotRequiredMixin, SessionDataView):
    """``{"accessToken", "expiresAt"}`` (epoch ms) for SPAs that call APIs directly."""

    def get_data(self, wristband_session: WristbandSession) -> dict[str, Any]:
        token, expires_at = wristband_session.access_token, wristband_session.expires_at
        return {"accessToken": token, "expiresAt": expires_at}
