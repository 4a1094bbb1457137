"""Browser-facing endpoints: authorize (with the user picker), logout, application login."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlencode

from .directory import Directory
from .grants import AuthorizationCode, Grants
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

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SINGLE_VALUED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "scope",
    "code_challenge",
    "nonce",
)
MAX_LOGOUT_STATE = 512


class BrowserEndpoints:
    """authorize, logout and app_login."""

    def __init__(self, settings: FakeSettings, directory: Directory, grants: Grants) -> None:
        self._settings = settings
        self._directory = directory
        self._grants = grants

    def authorize(self, request: RecordedRequest) -> Response:
        tenant = self._tenant(request)
        problem = self._authorize_problem(request, tenant)
        if problem or tenant is None:
            return text_response(problem or "invalid_request: no tenant", 400)
        params = {name: values[-1] for name, values in request.query.items()}
        redirect_uri, state = params["redirect_uri"], params["state"]
        error = _private(request, ERROR_HEADER) or params.get(ERROR_PARAM)
        if error:
            description = _private(request, ERROR_DESCRIPTION_HEADER)
            return redirect(
                with_params(
                    redirect_uri, {"error": error, "error_description": description, "state": state}
                )
            )
        user_ref = _private(request, USER_HEADER) or params.get(USER_PARAM)
        if not user_ref:
            if params.get("prompt") == "none":
                failure = {
                    "error": "login_required",
                    "error_description": "No session",
                    "state": state,
                }
                return redirect(with_params(redirect_uri, failure))
            return self._user_picker(request, tenant)
        user = self._user(user_ref, tenant)
        if isinstance(user, str):
            return text_response(user, 400)
        code = AuthorizationCode(
            user=user,
            tenant=tenant,
            redirect_uri=redirect_uri,
            code_challenge=params["code_challenge"],
            scope=" ".join(params["scope"].split()),
            nonce=params.get("nonce") or None,
        )
        success = {
            "code": self._grants.issue_code(code),
            "state": state,
            "tenant_name": tenant.name,
            "tenant_custom_domain": tenant.custom_domain,
        }
        return redirect(with_params(redirect_uri, success))

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
        return redirect(with_params(target or self._login_url(tenant), params))

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


def _private(request: RecordedRequest, header: str) -> str | None:
    value = request.headers.get(header.lower())
    return unquote(value) if value else None
