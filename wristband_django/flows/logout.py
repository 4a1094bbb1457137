"""Logout: end this browser's session (the end-session flow) and find Wristband's logout URL."""

from __future__ import annotations

from django.http import HttpRequest

from wristband_django import telemetry
from wristband_django.conf import AuthConfig
from wristband_django.flows.django_login import end_django_login
from wristband_django.flows.end_session import end_session
from wristband_django.types import WristbandSession
from wristband_django.wristband.auto_configuration import SdkConfiguration
from wristband_django.wristband.browser_urls import (
    application_login_url,
    logout_url,
    tenant_host,
    tenantless_login_url,
)
from wristband_django.wristband.tenants import Tenant, resolve_logout_tenant

MAX_STATE_LENGTH = 512
#: ``Sec-Fetch-Site`` values of a navigation this site (or the user, typing or bookmarking:
#: ``none``) started; ``cross-site`` is what a hostile page's link, form or image sends.
OWN_SITE_FETCHES = frozenset({"same-origin", "same-site", "none"})


def is_own_top_level_navigation(request: HttpRequest) -> bool:
    """Tell whether the browser says this request is a top-level navigation of this site's.

    Per Fetch Metadata, that is a page navigation started by this site or by the user, not by
    another site, and not an image, script or fetch. Browsers without Fetch Metadata send
    none of these headers, so the answer is False."""
    headers = request.headers
    return (
        headers.get("Sec-Fetch-Site") in OWN_SITE_FETCHES
        and headers.get("Sec-Fetch-Mode") == "navigate"
        and headers.get("Sec-Fetch-Dest", "document") == "document"
    )


@telemetry.traced_logout
@telemetry.counts_store_outages("logout")
def log_out(request: HttpRequest, config: AuthConfig) -> WristbandSession | None:
    """End the request's session everywhere; returns what it held.

    Raises ``StoreUnavailableError`` (and changes nothing) when the store does not answer.
    """
    session_key = request.session.session_key
    entry = end_session(config, session_key) if session_key else None
    end_django_login(request)  # forgets the (already deleted) session in this request
    return entry


def wristband_logout_url(
    request: HttpRequest,
    config: AuthConfig,
    sdk: SdkConfiguration,
    entry: WristbandSession | None,
    *,
    redirect_url: str | None,
    state: str | None,
) -> str:
    """Return Wristband's logout URL for the session's tenant (else, without a session, the
    request's).

    A session without a tenant (an application-level login whose tenant was not confirmed:
    ``flows.tenant_confirmation``) has no host to log out at: no host is derived from the
    request, or from anything unsigned. When no tenant is known, return where to go instead:
    ``redirect_url``, else this app's Login endpoint with application-level authorization
    requests (``application_authorization_requests_enabled``), else the application-level
    login page."""
    if entry is not None:
        tenant = Tenant(entry.tenant_name, entry.tenant_custom_domain)
    else:
        tenant = resolve_logout_tenant(request, config, sdk.parse_tenant_from_root_domain, Tenant())
    host = tenant_host(
        config, sdk, tenant_name=tenant.name, tenant_custom_domain=tenant.custom_domain
    )
    if host is not None:
        return logout_url(config, host, redirect_url=redirect_url, state=state)
    login_endpoint = (
        tenantless_login_url(sdk) if sdk.application_authorization_requests_enabled else None
    )
    return redirect_url or login_endpoint or application_login_url(config, sdk)
