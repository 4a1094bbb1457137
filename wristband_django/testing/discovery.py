"""The fake's authorize endpoint on the application vanity domain (Wristband's
application-level authorization requests): tenant discovery, then the chosen tenant's
authorize endpoint with the request's own parameters.

As Wristband's Authorize API reference says: the application vanity domain takes an
authorize request only when the application enables application-level authorization
requests. Then the user picks a tenant on the application-level login page (here: the
tenant list, or the user a test names in the user header or parameter, whose tenant is
chosen), and the browser goes on to that tenant's authorize endpoint (on the tenant's vanity
domain) with the original ``state``, ``nonce``, PKCE challenge and ``redirect_uri``, so the
login completes at the tenant like any other. When they are not enabled, the request fails
as every authorize request that fails with a known redirect URI does: a redirect to it with
``error=invalid_request`` (and the ``state``); a ``redirect_uri`` whose ``{tenant_name}``
only a tenant can fill in is no known redirect URI, so that is a 400 page instead.
"""

from __future__ import annotations

from urllib.parse import unquote, urlencode, urlsplit

from .authorize_checks import authorize_problem
from .browser_protocol import (
    ANY_USER,
    ERROR_DESCRIPTION_HEADER,
    ERROR_HEADER,
    ERROR_PARAM,
    USER_HEADER,
    USER_PARAM,
)
from .directory import VANITY_HOSTNAME, Directory, hostname_of
from .models import FakeTenant, RecordedRequest
from .pages import tenant_list
from .responses import Response, html_response, redirect, text_response, with_params
from .settings import FakeSettings

#: The placeholders of a ``redirect_uri`` that Wristband fills in with the tenant's name.
TENANT_PLACEHOLDERS = ("{tenant_name}", "{tenant_domain}")
#: What the fake answers for an application-level request the application does not accept.
NOT_ENABLED = (
    "Application-level authorization requests are not enabled for this application: "
    "send the authorize request to a tenant's vanity domain"
)


def is_application_host(host: str) -> bool:
    """Tell whether ``host`` (a request's Host header) is the application vanity domain."""
    return hostname_of(host) == VANITY_HOSTNAME


def tenant_redirect_uri(redirect_uri: str, tenant_name: str) -> str:
    """Return ``redirect_uri`` with its ``{tenant_name}`` (or legacy ``{tenant_domain}``)
    filled in with ``tenant_name``, as Wristband redirects to a tenant's callback."""
    for placeholder in TENANT_PLACEHOLDERS:
        redirect_uri = redirect_uri.replace(placeholder, tenant_name)
    return redirect_uri


def _private(request: RecordedRequest, header: str) -> str | None:
    value = request.headers.get(header.lower())
    return unquote(value) if value else None


class ApplicationAuthorize:
    """The authorize endpoint on the application vanity domain (see the module)."""

    def __init__(self, settings: FakeSettings, directory: Directory) -> None:
        self._settings = settings
        self._directory = directory

    def __call__(self, request: RecordedRequest) -> Response:
        problem = authorize_problem(request, None, self._settings, application_level=True)
        if problem:
            return text_response(problem, 400)
        params = {name: values[-1] for name, values in request.query.items()}
        redirect_uri, state = params["redirect_uri"], params["state"]

        def fail(error: str, description: str | None) -> Response:
            if any(placeholder in redirect_uri for placeholder in TENANT_PLACEHOLDERS):
                return text_response(f"{error}: {description or ''}", 400)
            failure = {"error": error, "error_description": description, "state": state}
            return redirect(with_params(redirect_uri, failure))

        if not self._settings.application_authorization_requests_enabled:
            return fail("invalid_request", NOT_ENABLED)
        error = _private(request, ERROR_HEADER) or params.get(ERROR_PARAM)
        if error:
            return fail(error, _private(request, ERROR_DESCRIPTION_HEADER))
        if params.get("prompt") == "none":  # tenant discovery is a page
            return fail("login_required", "Tenant discovery needs the user")
        user_ref = _private(request, USER_HEADER) or params.get(USER_PARAM)
        if user_ref:  # the user named (as on Wristband's page, by email): their tenant
            tenant = self._tenant_of(user_ref)
            if tenant is None:
                return text_response(f"invalid_request: unknown user {user_ref!r}", 400)
            return redirect(self._tenant_authorize_url(request, tenant))
        links = [
            (tenant, self._tenant_authorize_url(request, tenant))
            for tenant in self._directory.tenants()
        ]
        return html_response(tenant_list(links))

    def _tenant_of(self, user_ref: str) -> FakeTenant | None:
        """Return the tenant of the user ``user_ref`` (any tenant with users for ``*``)."""
        tenants = self._directory.tenants()
        if user_ref == ANY_USER:
            return next((t for t in tenants if self._directory.users_of(t.name)), None)
        user = self._directory.find_user(user_ref)
        return next((t for t in tenants if user is not None and t.name == user.tenant), None)

    def _tenant_authorize_url(self, request: RecordedRequest, tenant: FakeTenant) -> str:
        """Return ``tenant``'s authorize endpoint (on its vanity domain) with this request's
        parameters, but not the fake's own (the user, an error)."""
        separator = "." if self._settings.is_application_custom_domain_active else "-"
        scheme = urlsplit(self._settings.issuer).scheme or "http"
        query = [
            (name, value)
            for name, values in request.query.items()
            if name not in (USER_PARAM, ERROR_PARAM)
            for value in values
        ]
        host = f"{tenant.name}{separator}{request.host}"
        return f"{scheme}://{host}{request.path}?{urlencode(query)}"
