"""Browser-facing endpoints of the fake: authorize (with the user picker), logout, and the
application login page (the tenant list)."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from http.cookies import CookieError, SimpleCookie
from urllib.parse import unquote, urlencode

from .authorize_checks import authorize_problem
from .browser_protocol import (
    ANY_USER,
    ERROR_DESCRIPTION_HEADER,
    ERROR_HEADER,
    ERROR_PARAM,
    SESSION_COOKIE,
    USER_HEADER,
    USER_PARAM,
)
from .directory import Directory
from .discovery import ApplicationAuthorize, is_application_host, tenant_redirect_uri
from .grants import AuthorizationCode, BrowserSession, Grants
from .models import FakeTenant, FakeUser, RecordedRequest
from .pages import tenant_list, user_picker
from .responses import (
    Response,
    error_response,
    html_response,
    is_http_url,
    redirect,
    text_response,
    with_params,
)
from .settings import FakeSettings

PROMPTS = ("login", "none")
_MAX_AGE = re.compile(r"[0-9]{1,9}")
MAX_LOGOUT_STATE = 512


class BrowserEndpoints:
    """authorize, logout and app_login."""

    def __init__(self, settings: FakeSettings, directory: Directory, grants: Grants) -> None:
        self._settings = settings
        self._directory = directory
        self._grants = grants
        self._application_authorize = ApplicationAuthorize(settings, directory)

    def authorize(self, request: RecordedRequest) -> Response:
        """Answer as Wristband's authorize endpoint, with a per-browser session (a cookie).

        Credentials (the user header or the picker's parameter) start a new session, whose
        time is the ID token's ``auth_time``. Without credentials, a browser whose session
        is for this tenant and satisfies ``max_age`` logs in silently, with the session's
        ``auth_time``; otherwise the user picker is shown. ``prompt=login`` always wants
        credentials; ``prompt=none`` never shows a page and ignores credentials: without a
        usable session it answers ``error=login_required``. On the application vanity domain
        it is tenant discovery first (``discovery``); a ``{tenant_name}`` in the
        ``redirect_uri`` is filled in with the tenant's name, as Wristband does.
        """
        tenant = self._tenant(request)
        if tenant is None and is_application_host(request.host):
            return self._application_authorize(request)
        problem = authorize_problem(request, tenant, self._settings)
        if problem or tenant is None:
            return text_response(problem or "invalid_request: no tenant", 400)
        params = {name: values[-1] for name, values in request.query.items()}
        redirect_uri, state = (
            tenant_redirect_uri(params["redirect_uri"], tenant.name),
            params["state"],
        )

        def fail(error: str, description: str | None) -> Response:
            failure = {"error": error, "error_description": description, "state": state}
            return redirect(with_params(redirect_uri, failure))

        error = _private(request, ERROR_HEADER) or params.get(ERROR_PARAM)
        if error:
            return fail(error, _private(request, ERROR_DESCRIPTION_HEADER))
        prompt, max_age = params.get("prompt"), params.get("max_age")
        if prompt is not None and prompt not in PROMPTS:
            return fail("invalid_request", f"prompt must be one of {', '.join(PROMPTS)}")
        if max_age is not None and not _MAX_AGE.fullmatch(max_age):
            return fail("invalid_request", "max_age must be a whole number of seconds")
        session = self._browser_session(request, tenant)
        if session is not None and max_age is not None and _older(session, int(max_age)):
            session = None  # authenticated too long ago: credentials again
        if prompt == "none":
            if session is None:
                return fail("login_required", "No session")
            return self._issue_code(params, tenant, session)
        user_ref = _private(request, USER_HEADER) or params.get(USER_PARAM)
        if user_ref:
            user = self._user(user_ref, tenant)
            if isinstance(user, str):
                return text_response(user, 400)
            previous = _session_cookie(request)
            if previous:
                self._grants.end_browser_session(previous)
            session = self._grants.start_browser_session(user, tenant)
            response = self._issue_code(params, tenant, session)
            cookie = f"{SESSION_COOKIE}={session.id}; Path=/; HttpOnly; SameSite=Lax"
            return replace(response, headers={**response.headers, "Set-Cookie": cookie})
        if session is None or prompt == "login":
            return self._user_picker(request, tenant)
        return self._issue_code(params, tenant, session)

    def _issue_code(
        self, params: dict[str, str], tenant: FakeTenant, session: BrowserSession
    ) -> Response:
        code = AuthorizationCode(
            user=session.user,
            tenant=tenant,
            redirect_uri=params["redirect_uri"],
            code_challenge=params["code_challenge"],
            scope=" ".join(params["scope"].split()),
            nonce=params.get("nonce") or None,
            auth_time=session.auth_time,
        )
        success = {
            "code": self._grants.issue_code(code),
            "state": params["state"],
            "tenant_name": tenant.name,
            "tenant_custom_domain": tenant.custom_domain,
        }
        callback = tenant_redirect_uri(params["redirect_uri"], tenant.name)
        return redirect(with_params(callback, success))

    def _browser_session(
        self, request: RecordedRequest, tenant: FakeTenant
    ) -> BrowserSession | None:
        session_id = _session_cookie(request)
        return self._grants.browser_session(session_id, tenant) if session_id else None

    def logout(self, request: RecordedRequest) -> Response:
        client_id, state, target = (
            request.param(name) for name in ("client_id", "state", "redirect_url")
        )
        if client_id != self._settings.client_id:
            return error_response(400, "invalid_client", "Unknown or missing client_id")
        if state is not None and len(state) > MAX_LOGOUT_STATE:
            return error_response(
                400, "invalid_request", f"state exceeds {MAX_LOGOUT_STATE} characters"
            )
        if target is not None and not is_http_url(target):
            return error_response(
                400, "invalid_request", "redirect_url must be an absolute http(s) URL"
            )
        tenant = self._tenant(request)
        params = {"tenant_name": tenant.name if tenant else None, "state": state}
        response = redirect(with_params(target or self._login_url(tenant), params))
        session_id = _session_cookie(request)
        if not session_id:
            return response
        self._grants.end_browser_session(session_id)  # Wristband's session ends too
        expired = f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        return replace(response, headers={**response.headers, "Set-Cookie": expired})

    def app_login(self, request: RecordedRequest) -> Response:
        if request.param("client_id") != self._settings.client_id:
            return error_response(400, "invalid_client", "Unknown or missing client_id")
        state = request.param("state")
        links = [
            (
                tenant,
                with_params(self._login_url(tenant), {"tenant_name": tenant.name, "state": state}),
            )
            for tenant in self._directory.tenants()
        ]
        return html_response(tenant_list(links))

    def _login_url(self, tenant: FakeTenant | None) -> str:
        """Return the app's login URL, its `{tenant_name}` (or `{tenant_domain}`) filled in."""
        url = self._settings.login_url
        for placeholder in ("{tenant_name}", "{tenant_domain}"):
            url = url.replace(placeholder, tenant.name if tenant else "")
        return url

    def _tenant(self, request: RecordedRequest) -> FakeTenant | None:
        dot = self._settings.is_application_custom_domain_active
        return self._directory.tenant_for_host(request.host, dot_separator=dot)

    def _user(self, ref: str, tenant: FakeTenant) -> FakeUser | str:
        """Return the chosen user of `tenant`, or the error text."""
        if ref == ANY_USER:
            users = self._directory.users_of(tenant.name)
            return users[0] if users else f"invalid_request: tenant {tenant.name!r} has no users"
        user = self._directory.find_user(ref, tenant.name)
        if user is not None:
            return user
        elsewhere = self._directory.find_user(ref)
        if elsewhere is not None:
            return (
                f"access_denied: user {ref!r} belongs to tenant {elsewhere.tenant!r}, "
                f"not {tenant.name!r}"
            )
        return f"invalid_request: unknown user {ref!r}"

    def _user_picker(self, request: RecordedRequest, tenant: FakeTenant) -> Response:
        query = [(name, value) for name, values in request.query.items() for value in values]

        def link(extra: dict[str, str]) -> str:
            return f"{request.path}?{urlencode([*query, *extra.items()])}"

        users = [
            (user, link({USER_PARAM: user.sub})) for user in self._directory.users_of(tenant.name)
        ]
        return html_response(user_picker(tenant, users, link({ERROR_PARAM: "access_denied"})))


def _older(session: BrowserSession, max_age: int) -> bool:
    """Return whether the session's last authentication is more than `max_age` seconds ago."""
    return time.time() - session.auth_time > max_age


def _session_cookie(request: RecordedRequest) -> str | None:
    """Return the browser session id in the request's cookie, if any."""
    cookies = SimpleCookie()
    try:
        cookies.load(request.headers.get("cookie", ""))
    except CookieError:
        return None
    morsel = cookies.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _private(request: RecordedRequest, header: str) -> str | None:
    value = request.headers.get(header.lower())
    return unquote(value) if value else None
