"""Whether a credential may act on the tenant that a request's host names.

A host names a tenant in two ways. In subdomain mode (``parse_tenant_from_root_domain``),
every host below the root domain, ``<label>.<root domain>``, names the tenant ``<label>``
(a host deeper down, or with a label that is no tenant name, names a tenant that no
credential belongs to). A host in the ``tenant_custom_domains`` allow-list names the
tenant whose custom domain it is. The root domain itself and every other host name no
tenant, and there any valid credential is accepted: an app serving several tenants on one
host scopes its data by the caller's ``tenant_id``.

A session fits the host when its tenant name (or custom domain) is the host's; a bearer
token, which carries only its tenant's id, fits when that id is the one this site learned
for the host's tenant from a completed login (see ``store.tenant_directory``). A host's
tenant whose id is not known yet accepts no bearer token.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.http.request import split_domain_port

from wristband_django.conf import AuthConfig
from wristband_django.errors import (
    InvalidAccessTokenError,
    WristbandError,
    WristbandUnavailableError,
)
from wristband_django.store import tenant_directory
from wristband_django.types import AccessTokenClaims, WristbandSession
from wristband_django.wristband.auto_configuration import get_sdk_configuration
from wristband_django.wristband.browser_urls import tenant_host


@dataclass(frozen=True)
class HostTenant:
    """The tenant a request's host names: by name (a subdomain) or by custom domain."""

    name: str | None = None
    custom_domain: str | None = None

    @property
    def directory_key(self) -> tuple[str, str]:
        """Return the kind and value under which ``store.tenant_directory`` knows this tenant."""
        if self.name is not None:
            return tenant_directory.NAME, self.name
        return tenant_directory.CUSTOM_DOMAIN, self.custom_domain or ""


def request_hostname(request: HttpRequest) -> str:
    """Return the request's host name as Django validated it: lower case, no port, and no
    trailing dot (``acme.example.com.`` is ``acme.example.com``)."""
    domain, _port = split_domain_port(request.get_host())
    return domain


def host_tenant(request: HttpRequest, config: AuthConfig) -> HostTenant | None:
    """Return the tenant the request's host names, or ``None`` when it names none.

    Raises ``WristbandUnavailableError`` when subdomain mode cannot be known (auto-configuration
    failed).
    """
    try:  # every bearer request asks: no helper function around this
        root = get_sdk_configuration(config).parse_tenant_from_root_domain
    except WristbandError as exc:  # auto-configuration failed: no host is trusted blindly
        raise WristbandUnavailableError(exc.error, exc.error_description) from exc
    if not root and config.tenant_custom_domains is None:
        return None  # no host names a tenant here: the host need not even be read
    host = request_hostname(request)
    if root and host.endswith(f".{root}"):
        return HostTenant(name=host[: -len(root) - 1])
    if config.tenant_custom_domains is not None and host in config.tenant_custom_domains:
        return HostTenant(custom_domain=host)
    return None


def session_fits_host(request: HttpRequest, config: AuthConfig, entry: WristbandSession) -> bool:
    """Tell whether the session ``entry`` may act on this request's host (see the module)."""
    host = host_tenant(request, config)
    if host is None:
        return True
    if host.name is not None:
        fits = entry.tenant_name == host.name
    else:
        fits = entry.tenant_custom_domain == host.custom_domain or (
            tenant_directory.tenant_id_of(*host.directory_key) == entry.tenant_id
        )
    if fits:  # the host's own pair, learnt again (a memory hit once this process knows it)
        tenant_directory.remember(*host.directory_key, entry.tenant_id)
    return fits


def check_token_host(request: HttpRequest, config: AuthConfig, claims: AccessTokenClaims) -> None:
    """Raise ``InvalidAccessTokenError`` unless the validated bearer token may act on this
    request's host (see the module). Raises ``StoreUnavailableError`` when the tenant
    directory's cache does not answer."""
    host = host_tenant(request, config)
    if host is None:
        return
    known = tenant_directory.tenant_id_of(*host.directory_key)
    if known is None or claims.tenant_id != known:
        raise InvalidAccessTokenError("the access token is for another tenant than this host's")


def remember_session_tenant(config: AuthConfig, entry: WristbandSession) -> None:
    """Record the session's tenant name (in subdomain mode) and its allow-listed custom
    domain with its id, for the bearer tokens of that tenant's hosts: a completed login bound
    them (the login state) and Wristband signed the id (the tokens). Nothing is written
    where no host can name a tenant, nor for a pair this process wrote recently.

    With application-level logins on, also record the Wristband tenant host of the
    session's tenant with its id (``AUTHORIZE_HOST``): the host the login's authorize request
    went to, or the one the directory confirmed for an application-level login, which is
    what confirms the tenant of the next one (``flows.tenant_confirmation``); a session whose
    tenant is not confirmed (none kept) records nothing. Without them a login writes no
    such pair (nothing would read it)."""
    try:
        sdk = get_sdk_configuration(config)  # the callback resolved it already: no call here
    except WristbandError:  # not resolved after all: nothing to learn from this login
        return
    host = tenant_host(
        config, sdk, tenant_name=entry.tenant_name, tenant_custom_domain=entry.tenant_custom_domain
    )
    if host is not None and sdk.application_authorization_requests_enabled:
        tenant_directory.remember(tenant_directory.AUTHORIZE_HOST, host, entry.tenant_id)
    if entry.tenant_name and sdk.parse_tenant_from_root_domain:
        tenant_directory.remember(tenant_directory.NAME, entry.tenant_name, entry.tenant_id)
    domain = entry.tenant_custom_domain
    if (
        domain
        and config.tenant_custom_domains is not None
        and domain in config.tenant_custom_domains
    ):
        tenant_directory.remember(tenant_directory.CUSTOM_DOMAIN, domain, entry.tenant_id)
