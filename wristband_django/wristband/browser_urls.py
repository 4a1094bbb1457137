"""Every URL this app sends a browser to at Wristband, and the tenant host rules behind them."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from wristband_django.conf import AuthConfig, fill_tenant_placeholder, has_tenant_placeholder
from wristband_django.conf.hosts import TENANT_PLACEHOLDERS
from wristband_django.wristband.auto_configuration import SdkConfiguration


def tenant_host(
    config: AuthConfig,
    sdk: SdkConfiguration,
    *,
    tenant_name: str | None = None,
    tenant_custom_domain: str | None = None,
) -> str | None:
    """Return the Wristband host of a tenant, or ``None`` when no tenant is given.

    A tenant custom domain is the host itself. Otherwise the host is ``{tenant}-{vanity}``,
    or ``{tenant}.{vanity}`` while an application custom domain is active.
    """
    if tenant_custom_domain:
        return tenant_custom_domain
    if tenant_name:
        separator = "." if sdk.is_application_custom_domain_active else "-"
        return f"{tenant_name}{separator}{config.wristband_application_vanity_domain}"
    return None


def with_query(url: str, params: Mapping[str, str | None]) -> str:
    """Return ``url`` with ``params`` added to its query, encoded; ``None`` values are left out."""
    parts = urlsplit(url)
    extra = urlencode({key: value for key, value in params.items() if value is not None})
    query = f"{parts.query}&{extra}" if parts.query and extra else parts.query or extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def authorize_url(config: AuthConfig, host: str, params: Mapping[str, str | None]) -> str:
    return with_query(f"{config.wristband_scheme}://{host}/api/v1/oauth2/authorize", params)


def logout_url(
    config: AuthConfig, host: str, *, redirect_url: str | None, state: str | None
) -> str:
    params = {"client_id": config.client_id, "redirect_url": redirect_url, "state": state}
    return with_query(f"{config.wristband_scheme}://{host}/api/v1/logout", params)


def application_login_url(
    config: AuthConfig, sdk: SdkConfiguration, *, state: str | None = None
) -> str:
    """Return the URL of Wristband's application-level login (tenant discovery) page.

    A self-hosted page (``custom_application_login_page_url``) takes the place of Wristband's.
    """
    base = sdk.custom_application_login_page_url or f"{config.wristband_base_url}/login"
    return with_query(base, {"client_id": config.client_id, "state": state})


def tenantless_login_url(sdk: SdkConfiguration) -> str | None:
    """Return this app's Login endpoint where it names no tenant: ``login_url``, or with
    tenant subdomains the same URL on the root domain (its ``{tenant_name}.`` label left out);
    ``None`` when the placeholder is elsewhere in the URL."""
    url = sdk.login_url
    for placeholder in TENANT_PLACEHOLDERS:
        url = url.replace(f"//{placeholder}.", "//")
    return None if has_tenant_placeholder(url) else url


def app_login_endpoint(
    sdk: SdkConfiguration,
    *,
    tenant_name: str | None,
    tenant_custom_domain: str | None = None,
    return_url: str | None = None,
) -> str:
    """Return this app's own login URL for a tenant, used to restart a login."""
    url = fill_tenant_placeholder(sdk.login_url, tenant_name or "")
    subdomains = sdk.parse_tenant_from_root_domain is not None
    return with_query(
        url,
        {
            "tenant_custom_domain": tenant_custom_domain,
            "tenant_name": None if subdomains or tenant_custom_domain else tenant_name,
            "return_url": return_url,
        },
    )
