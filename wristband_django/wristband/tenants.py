"""Which tenant a request is about: the seed's precedence rules, with every input checked.

No query parameter can point the browser at a host outside Wristband's: a tenant
name must be a DNS label, and a tenant custom domain must be confirmed by the
configured allow-list or by Wristband's ``custom-domains/validate`` endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from wristband_django.conf import DNS_LABEL, AuthConfig, hostname_error
from wristband_django.wristband import check_budget
from wristband_django.wristband.custom_domains import custom_domain_checks


@dataclass(frozen=True)
class Tenant:
    """A resolved tenant: a name, a custom domain, or both."""

    name: str | None = None
    custom_domain: str | None = None

    def __bool__(self) -> bool:
        return bool(self.name or self.custom_domain)


def clean_tenant_name(value: str | None) -> str | None:
    """Return ``value`` lower-cased if it is a DNS label, else ``None``."""
    if not value:
        return None
    value = value.lower()
    return value if DNS_LABEL.match(value) else None


def tenant_name_params(request: HttpRequest) -> tuple[str, ...]:
    """Return the tenant names the request's query gives, unchecked.

    ``tenant_name`` comes first, then its legacy alias ``tenant_domain``; each is included
    only when it is present.
    """
    values = (request.GET.get("tenant_name"), request.GET.get("tenant_domain"))
    return tuple(value for value in values if value)


def requested_tenant_name(request: HttpRequest) -> str | None:
    """Return the tenant name the query asks for if it is a DNS label, else ``None``.

    The first name given counts: ``tenant_name`` before the legacy ``tenant_domain``.
    """
    names = tenant_name_params(request)
    return clean_tenant_name(names[0]) if names else None


def subdomain_tenant(request: HttpRequest, root_domain: str | None) -> str | None:
    """Return the tenant label of a request host ``<tenant>.<root_domain>``, else ``None``."""
    if not root_domain:
        return None
    host = request.get_host().rsplit(":", 1)[0].lower()
    suffix = f".{root_domain}"
    return clean_tenant_name(host[: -len(suffix)]) if host.endswith(suffix) else None


def clean_custom_domain(config: AuthConfig, value: str | None, request: HttpRequest) -> str | None:
    """Return ``value`` lower-cased if it is a confirmed tenant custom domain, else ``None``.

    The allow-list ``tenant_custom_domains`` confirms a domain when it is set. Without it,
    Wristband is asked, within the budgets of ``check_budget`` (the process's, and the one
    of ``request``'s client address); a domain that is neither remembered
    (``custom_domains``) nor checkable right now counts as unconfirmed.
    """
    if not value:
        return None
    domain = value.strip().lower()
    if hostname_error(domain, allow_port=config.dangerously_allow_http_idp):
        return None
    if config.tenant_custom_domains is not None:
        return domain if domain in config.tenant_custom_domains else None
    client = check_budget.client_key(request.META.get("REMOTE_ADDR"))
    return domain if custom_domain_checks.is_confirmed(config, domain, client) else None


def resolve_login_tenant(
    request: HttpRequest,
    config: AuthConfig,
    root_domain: str | None,
    *,
    default_tenant_name: str | None,
    default_tenant_custom_domain: str | None,
) -> Tenant:
    """Return the tenant to log in to, in the seed's order of precedence.

    The order is: the ``tenant_custom_domain`` parameter, the host's subdomain, the
    ``tenant_name`` parameter (or the legacy ``tenant_domain``), the default custom domain,
    then the default name. An empty ``Tenant`` means the application-level login page.
    """
    subdomain = subdomain_tenant(request, root_domain)
    custom_domain = clean_custom_domain(config, request.GET.get("tenant_custom_domain"), request)
    if custom_domain:
        return Tenant(name=subdomain, custom_domain=custom_domain)
    if subdomain:
        return Tenant(name=subdomain)
    name = requested_tenant_name(request)
    if name:
        return Tenant(name=name)
    if default_tenant_custom_domain:
        return Tenant(custom_domain=default_tenant_custom_domain)
    return Tenant(name=default_tenant_name)


def resolve_logout_tenant(
    request: HttpRequest, config: AuthConfig, root_domain: str | None, stored: Tenant
) -> Tenant:
    """Return the tenant whose Wristband session to end.

    The tenant stored in the session comes first, then the ``tenant_custom_domain``
    parameter, the host's subdomain and the ``tenant_name`` parameter.
    """
    if stored:
        return stored
    custom_domain = clean_custom_domain(config, request.GET.get("tenant_custom_domain"), request)
    if custom_domain:
        return Tenant(custom_domain=custom_domain)
    name = subdomain_tenant(request, root_domain) or requested_tenant_name(request)
    return Tenant(name=name)
