"""The error page's "Try logging in again": the Login endpoint, for the failed login's tenant.

A login that failed knew its tenant (the Login endpoint's parameters, or the login state the
callback opened); logging in again keeps it, so the user is not sent to tenant discovery.
Each value goes through the Login endpoint's own checks first (a tenant name must be a DNS
label, a tenant custom domain must be confirmed): the link never carries a value the Login
endpoint would refuse.
"""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from wristband_django.conf import AuthConfig
from wristband_django.flows import login_state
from wristband_django.wristband.browser_urls import with_query
from wristband_django.wristband.tenants import (
    Tenant,
    clean_custom_domain,
    clean_tenant_name,
    subdomain_tenant,
)


def requested_tenant(request: HttpRequest) -> Tenant:
    """Return the tenant the Login endpoint's query names, unchecked.

    A parameter given more than once names none (the Login endpoint refuses the request)."""

    def single(name: str) -> str | None:
        values = request.GET.getlist(name)
        return values[0] if len(values) == 1 else None

    name = single("tenant_name") if "tenant_name" in request.GET else single("tenant_domain")
    return Tenant(name=name, custom_domain=single("tenant_custom_domain"))


def callback_tenant(request: HttpRequest, config: AuthConfig) -> Tenant:
    """Return the tenant of the login a callback finishes, unchecked.

    That is its login state's (the browser's cookie for the callback's ``state``), else the
    tenant the callback's query names (unsigned, as for a login restarted without its login
    state)."""
    state = request.GET.get("state", "")
    stored = login_state.read_cookie(request, state, config.login_state_secrets)
    if stored is not None:
        return Tenant(stored.tenant_name, stored.tenant_custom_domain)
    return requested_tenant(request)


def _host_tenant(request: HttpRequest, config: AuthConfig) -> str | None:
    """Return the tenant of the request host's subdomain (manual configuration only)."""
    try:
        return subdomain_tenant(request, config.parse_tenant_from_root_domain)
    except DisallowedHost:
        return None


def retry_login_url(request: HttpRequest, config: AuthConfig, tenant: Tenant) -> str | None:
    """Return the Login endpoint's URL for ``tenant`` (what checks out of it), else ``None``
    when the project has no ``wristband:login`` URL.

    A tenant name the request host's subdomain already names is left out: the link is a
    path on this host."""
    try:
        url = reverse("wristband:login")
    except NoReverseMatch:
        return None
    name = clean_tenant_name(tenant.name)
    if name is not None and name == _host_tenant(request, config):
        name = None
    custom_domain = clean_custom_domain(config, tenant.custom_domain, request)
    return with_query(url, {"tenant_name": name, "tenant_custom_domain": custom_domain})
