"""Application-level logins: the tenant Wristband chose, kept only once it is confirmed.

An application-level login (``application_authorization_requests_enabled``) starts without a
tenant: its login state binds none, the user picks one on Wristband's tenant discovery page,
and Wristband goes on to that tenant's authorize endpoint with the login's parameters. The
callback then names the tenant, unsigned: ``tenant_name`` (or the legacy ``tenant_domain``)
and ``tenant_custom_domain``, and with tenant subdomains its own host (the ``redirect_uri``'s
``{tenant_name}`` that Wristband filled in; anyone can open the callback on another host).
Only the tokens' ``tnt_id`` is signed. So:

- the session's tenant id is the signed ``tnt_id``, as for every login;
- the tenant the callback names (its host's with tenant subdomains, else its name, else its
  custom domain, each checked as the Login endpoint checks it) is kept only when the tenant
  directory (``store.tenant_directory``) confirms it: a tenant-level login to that tenant's
  Wristband host completed here, and Wristband signed the same ``tnt_id`` for it. A
  directory that knows another id for it refuses the callback (the tokens are revoked, and
  the login restarts as a tenant-level login for the named tenant);
- a tenant the directory does not know yet is confirmed by such a login: the callback
  completes, its session without a tenant name, and sends the browser on (instead of to the
  return URL) through this app's Login endpoint for the named tenant, with the return URL.
  Wristband's fresh session there logs the user in without a page, that login binds the
  tenant as every tenant-level login does, and its session replaces the first one; the
  directory learns the tenant, so the next application-level login for it completes at once;
- a callback that names no usable tenant completes with the signed id alone: the session
  has no tenant name or custom domain (no host is derived from it, the directory learns
  nothing), and its logout goes back to the Login endpoint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from django.http import HttpRequest

from wristband_django.conf import AuthConfig
from wristband_django.errors import StoreUnavailableError, WristbandError
from wristband_django.flows.end_session import revoke
from wristband_django.flows.login_restarts import Restart, restart, restart_url
from wristband_django.flows.login_state import LoginState
from wristband_django.store import tenant_directory
from wristband_django.types import WristbandSession
from wristband_django.wristband.auto_configuration import SdkConfiguration
from wristband_django.wristband.browser_urls import tenant_host
from wristband_django.wristband.tenants import (
    Tenant,
    clean_custom_domain,
    clean_tenant_name,
    subdomain_tenant,
    tenant_name_params,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """The tenant an application-level callback names (unsigned, checked), and the tenant id
    this site confirmed for it before (``None``: none known)."""

    tenant: Tenant
    known_tenant_id: str | None


def claimed_tenant(request: HttpRequest, config: AuthConfig, sdk: SdkConfiguration) -> Tenant:
    """Return the tenant an application-level callback names, unsigned, as the Login endpoint
    would accept it; an empty ``Tenant`` when it names none it would accept.

    With tenant subdomains it is the request host's tenant (the session is of no use on any
    other host). Otherwise it is the ``tenant_name`` parameter (or the legacy
    ``tenant_domain``; two that differ name none), else a confirmed ``tenant_custom_domain``.
    """
    root_domain = sdk.parse_tenant_from_root_domain
    if root_domain is not None:
        return Tenant(name=subdomain_tenant(request, root_domain))
    names = {value.strip().lower() for value in tenant_name_params(request)}
    if len(names) > 1:
        return Tenant()
    name = clean_tenant_name(names.pop()) if names else None
    if name:
        return Tenant(name=name)
    custom_domain = request.GET.get("tenant_custom_domain")
    return Tenant(custom_domain=clean_custom_domain(config, custom_domain, request))


def claim_of(request: HttpRequest, config: AuthConfig, sdk: SdkConfiguration) -> Claim | None:
    """Return what an application-level callback claims, or ``None`` when it names no usable
    tenant. A directory that does not answer knows nothing (the tenant-level login confirms)."""
    tenant = claimed_tenant(request, config, sdk)
    host = tenant_host(
        config, sdk, tenant_name=tenant.name, tenant_custom_domain=tenant.custom_domain
    )
    if host is None:
        return None
    try:
        known = tenant_directory.tenant_id_of(tenant_directory.AUTHORIZE_HOST, host)
    except StoreUnavailableError:
        known = None
    return Claim(tenant, known)


def then_confirm(
    config: AuthConfig, sdk: SdkConfiguration, stored: LoginState, claim: Claim | None
) -> LoginState:
    """Return the login state the Callback endpoint finishes with: ``stored``, or, when the
    claimed tenant is not confirmed yet, ``stored`` whose return URL is this app's Login
    endpoint for that tenant (carrying the return URL, ``max_age`` and the restart count).

    That tenant-level login confirms the tenant. It asks no ``prompt``: the user has just
    authenticated at that tenant's host, so Wristband logs them in without a page (a
    ``prompt=login`` login asked for credentials already)."""
    if claim is None or claim.known_tenant_id is not None:
        return stored
    logger.info("Confirming an application-level login's tenant with a tenant-level login")
    url = restart_url(
        config,
        sdk,
        claim.tenant,
        stored.return_url,
        max_age=stored.max_age,
        restarts=stored.restarts,
    )
    return replace(stored, return_url=url)


def refused(
    config: AuthConfig,
    sdk: SdkConfiguration,
    stored: LoginState,
    claim: Claim,
    entry: WristbandSession,
) -> Restart:
    """Return the restart of an application-level login whose callback names a tenant that has
    another id here than the tokens' ``tnt_id``; the tokens are revoked (no session keeps them).

    It restarts as a tenant-level login for the tenant the callback names (through the Login
    endpoint's checks again): a directory that is out of date learns the tenant again there,
    and a callback that named another tenant than the user's gets that tenant's login page."""
    logger.warning(
        "Refused an application-level callback: the tenant it names has another id here than "
        "the one Wristband signed"
    )
    revoke(config, entry.refresh_token)
    other = WristbandError(
        "tenant_mismatch", "The callback names another tenant than the one you logged in to."
    )
    tenant = claim.tenant
    as_named = replace(stored, tenant_name=tenant.name, tenant_custom_domain=tenant.custom_domain)
    return restart(config, sdk, as_named, other)


def confirmed(entry: WristbandSession, claim: Claim | None) -> WristbandSession | None:
    """Return the new session ``entry`` with the claimed tenant kept if the directory confirmed
    it for the signed ``tnt_id``; without a tenant when there is no claim, or none confirmed
    yet; ``None`` when the directory knows another id for the claimed tenant."""
    if claim is None or claim.known_tenant_id is None:
        return replace(entry, tenant_name=None, tenant_custom_domain=None)
    if claim.known_tenant_id != entry.tenant_id:
        return None
    tenant = claim.tenant
    return replace(entry, tenant_name=tenant.name, tenant_custom_domain=tenant.custom_domain)
