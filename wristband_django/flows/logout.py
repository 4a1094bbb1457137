"""Logout: end the app session, revoke the refresh token, and find Wristband's logout URL."""

from __future__ import annotations

import logging

from django.http import HttpRequest

from wristband_django import latest_tokens, session_data
from wristband_django.client import get_client
from wristband_django.conf import AuthConfig
from wristband_django.discovery import SdkConfiguration
from wristband_django.django_users import end_django_login
from wristband_django.errors import WristbandError
from wristband_django.flows.refresh import invalidate_session
from wristband_django.locks import session_lock
from wristband_django.tenants import Tenant, resolve_logout_tenant
from wristband_django.wristband_urls import application_login_url, logout_url, tenant_host

logger = logging.getLogger(__name__)

MAX_STATE_LENGTH = 512
#: How long logout waits for a refresh in flight (then it proceeds without the lock).
LOCK_SECONDS = 15.0


def revoke_quietly(config: AuthConfig, refresh_token: str | None) -> None:
    """Revoke at Wristband within the client's timeouts; a failure is logged, not raised."""
    if not refresh_token:
        return
    try:
        get_client(config).revoke(refresh_token)
    except WristbandError as exc:
        logger.warning("Could not revoke the refresh token at logout: %s", exc.error)


def end_session(
    request: HttpRequest,
    config: AuthConfig,
    sdk: SdkConfiguration,
    *,
    redirect_url: str | None,
    state: str | None,
) -> str:
    """Flush the session, revoke its refresh token, and return Wristband's logout URL.

    Holds the session's refresh lock, so a refresh in flight finishes first and the
    refresh token revoked is the newest one.
    """
    entry = session_data.load(request.session)
    session_key = request.session.session_key
    if entry is not None and session_key is not None:
        with session_lock(session_key, ttl=LOCK_SECONDS, wait=LOCK_SECONDS):
            entry = latest_tokens.newest(session_key, entry)
            invalidate_session(request, session_key)
    else:
        end_django_login(request)
    stored = Tenant(entry.tenant_name, entry.tenant_custom_domain) if entry else Tenant()
    tenant = resolve_logout_tenant(request, config, sdk.parse_tenant_from_root_domain, stored)
    revoke_quietly(config, entry.refresh_token if entry else None)
    host = tenant_host(
        config, sdk, tenant_name=tenant.name, tenant_custom_domain=tenant.custom_domain
    )
    if host is None:
        return redirect_url or application_login_url(config, sdk)
    return logout_url(config, host, redirect_url=redirect_url, state=state)
