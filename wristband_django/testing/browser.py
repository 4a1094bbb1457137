"""Browser-facing endpoints: authorize (with the user picker), logout, application login."""

from __future__ import annotations

import http.client
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote, unquote, urlencode, urlsplit

from .directory import Directory
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

# How a login completes without a human: `FakeWristband.authorize()` sends these (percent-encoded)
# headers; the user picker's links use the query parameters instead.
USER_HEADER = "X-Fake-Wristband-User"
ERROR_HEADER = "X-Fake-Wristband-Error"
ERROR_DESCRIPTION_HEADER = "X-Fake-Wristband-Error-Description"
USER_PARAM = "fake_wristband_user"
ERROR_PARAM = "fake_wristband_error"
ANY_USER = "*"
AUTHORIZE_PATH = "/api/v1/oauth2/authorize"
#: The browser's session at the fake (Wristband's own session): a cookie on the tenant host.
SESSION_COOKIE = "fake_wristband_session"
PROMPTS = ("login", "none")
_MAX_AGE = re.compile(r"[0-9]{1,9}")

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SINGLE_VALUED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "nonce",
    "prompt",
    "max_age",
)
MAX_LOGOUT_STATE = 512


class BrowserEndpoints:
    """authorize, logout and app_login."""

    def __init__(self, settings: FakeSettings, directory: Directory, grants: Grants) -> None:
        self._settings = settings
        self._directory = directory
        self._grants = grants

    def authorize(self, request: RecordedRequest) -> Response:
        """Wristband's authorize endpoint, with a per-browser session (a cookie).

        Credentials (the user header or the picker's parameter) start a new session, whose
        time is the ID token's ``auth_time``. Without credentials, a browser whose session
        is for this tenant and satisfies ``max_age`` logs in silently, with the session's
        ``auth_time``; otherwise the user picker is shown. ``prompt=login`` always wants
        credentials; ``prompt=none`` never shows a page and ignores credentials: without a
        usable session it answers ``error=login_required``.
        """
        tenant = self._tenant(request)
        problem = self._authorize_problem(request, tenant)
        if problem or tenant is None:
            return text_response(problem or "invalid_request: no tenant", 400)
        params = {name: values[-1] for name, values in request.query.items()}
        redirect_uri, state = params["redirect_uri"], params["state"]

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
        return redirect(with_params(params["redirect_uri"], success))

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
        """The app's login URL, with a `{tenant_name}` (or `{tenant_domain}`) placeholder filled."""
        url = self._settings.login_url
        for placeholder in ("{tenant_name}", "{tenant_domain}"):
            url = url.replace(placeholder, tenant.name if tenant else "")
        return url

    def _tenant(self, request: RecordedRequest) -> FakeTenant | None:
        dot = self._settings.is_application_custom_domain_active
        return self._directory.tenant_for_host(request.host, dot_separator=dot)

    def _authorize_problem(self, request: RecordedRequest, tenant: FakeTenant | None) -> str | None:
        """`"error: description"` for an invalid authorize request, else None."""
        params = {name: values[-1] for name, values in request.query.items()}
        repeated = [name for name in _SINGLE_VALUED if len(request.query.get(name, [])) > 1]
        separator = "." if self._settings.is_application_custom_domain_active else "-"
        checks = (
            (
                params.get("client_id") != self._settings.client_id,
                "invalid_client: unknown or missing client_id",
            ),
            (bool(repeated), f"invalid_request: repeated parameter(s) {', '.join(repeated)}"),
            (
                not is_http_url(params.get("redirect_uri", "")),
                "invalid_request: redirect_uri must be an absolute http(s) URL without fragment",
            ),
            (
                tenant is None,
                f"invalid_request: host {request.host!r} is not a known tenant host "
                f"(expected '{{tenant}}{separator}localhost:PORT' or a tenant custom domain)",
            ),
            (
                params.get("response_type") != "code",
                "unsupported_response_type: response_type must be code",
            ),
            (not params.get("state"), "invalid_request: state is required"),
            (
                "openid" not in params.get("scope", "").split(),
                "invalid_scope: scope must include openid",
            ),
            (
                params.get("code_challenge_method") != "S256",
                "invalid_request: code_challenge_method must be S256",
            ),
            (
                not _CHALLENGE.match(params.get("code_challenge", "")),
                "invalid_request: code_challenge must be a base64url SHA-256 digest (43 chars)",
            ),
        )
        return next((message for failed, message in checks if failed), None)

    def _user(self, ref: str, tenant: FakeTenant) -> FakeUser | str:
        """The chosen user of `tenant`, or the error text."""
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
    """The session's last authentication is more than `max_age` seconds ago."""
    return time.time() - session.auth_time > max_age


def _session_cookie(request: RecordedRequest) -> str | None:
    """The browser session id in the request's cookie, if any."""
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


class FakeBrowser:
    """One person's browser at the fake's pages (`FakeWristband.new_browser()`).

    It keeps the cookies the fake sets, so Wristband's session lives on between logins:
    ``prompt=none`` logs in silently once this browser has logged in, ``max_age`` and
    ``prompt=login`` ask again for credentials. (`FakeWristband.authorize()` is a new
    browser each time, whose user always enters credentials.)
    """

    def __init__(self, connect: Callable[[], http.client.HTTPConnection]) -> None:
        self._connect = connect
        #: Cookies by host name (ports ignored, as browsers do): name -> value.
        self.cookies: dict[str, dict[str, str]] = {}

    def authorize(
        self,
        authorize_url: str,
        user: str | None = None,
        *,
        error: str | None = None,
        error_description: str | None = None,
    ) -> str:
        """Visit `authorize_url` and return where the fake redirects (the app's callback).

        If the fake shows its login page (the user picker), `user` (sub or email) enters
        their credentials there; without `user` that is an AssertionError, so a test can
        tell a silent login from one that asked. With `error`, the login fails with it.
        """
        if urlsplit(authorize_url).path != AUTHORIZE_PATH:
            raise AssertionError(f"not a Wristband authorize URL: {authorize_url}")
        headers: dict[str, str] = {}
        if error:
            headers[ERROR_HEADER] = quote(error, safe="")
            if error_description:
                headers[ERROR_DESCRIPTION_HEADER] = quote(error_description, safe="")
        status, location, body = self.visit(authorize_url, headers)
        if status == 200 and not error:  # the login page: credentials wanted
            if user is None:
                raise AssertionError("fake Wristband showed its login page (pass user=)")
            status, location, body = self.visit(authorize_url, {USER_HEADER: quote(user, safe="")})
        if status == 302 and location:
            return location
        raise AssertionError(
            f"fake Wristband rejected the authorize request (HTTP {status}): {body[:500]}"
        )

    def log_out(self, logout_url: str) -> str:
        """Visit Wristband's logout URL (its session ends); returns where it redirects."""
        status, location, body = self.visit(logout_url)
        if status == 302 and location:
            return location
        raise AssertionError(f"fake Wristband rejected the logout (HTTP {status}): {body[:500]}")

    def visit(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, str | None, str]:
        """GET `url` at the fake with this browser's cookies for its host, and keep the ones
        it sets; returns the status, the Location header and the body."""
        parts = urlsplit(url)
        hostname = parts.hostname or ""
        sent = {"Host": parts.netloc, **(headers or {})}
        jar = self.cookies.get(hostname, {})
        if jar:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        connection = self._connect()
        try:
            connection.request("GET", f"{parts.path}?{parts.query}", headers=sent)
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            self._keep(hostname, header)
        return response.status, response.getheader("Location"), body

    def _keep(self, hostname: str, header: str) -> None:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        jar = self.cookies.setdefault(hostname, {})
        for name, morsel in cookie.items():
            if morsel["max-age"] in ("0", 0) or not morsel.value:
                jar.pop(name, None)
            else:
                jar[name] = morsel.value
