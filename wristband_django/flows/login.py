"""Login: resolve the tenant, create the login state, build Wristband's authorize URL."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from wristband_django.conf import AuthConfig, fill_tenant_placeholder
from wristband_django.flows.login_state import LoginState
from wristband_django.store.session_entry import now_ms
from wristband_django.wristband.auto_configuration import SdkConfiguration
from wristband_django.wristband.browser_urls import (
    application_login_url,
    authorize_url,
    tenant_host,
)
from wristband_django.wristband.tenants import Tenant

#: Custom state travels in the login-state cookie, whose budget it shares with the return URL.
MAX_CUSTOM_STATE_BYTES = 512
MAX_HINT_LENGTH = 256


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and the login state to remember (none for tenant discovery)."""

    redirect_url: str
    login_state: LoginState | None


_last_created_ms = 0
_created_lock = threading.Lock()


def _creation_time_ms() -> int:
    """Epoch ms, strictly increasing in this process so cookie age order is never a tie."""
    global _last_created_ms
    with _created_lock:
        _last_created_ms = max(now_ms(), _last_created_ms + 1)
        return _last_created_ms


def _code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _hint(request: HttpRequest, name: str) -> str | None:
    value = request.GET.get(name)
    return value if value and len(value) <= MAX_HINT_LENGTH else None


def check_custom_state(custom_state: Any) -> None:
    """Custom state must be JSON and small: it travels in a cookie."""
    try:
        size = len(json.dumps(custom_state, separators=(",", ":"), ensure_ascii=False).encode())
    except (TypeError, ValueError) as exc:
        raise ValueError("custom state must be JSON-serialisable") from exc
    if size > MAX_CUSTOM_STATE_BYTES:
        raise ValueError(f"custom state is {size} bytes; the limit is {MAX_CUSTOM_STATE_BYTES}")


def callback_url(sdk: SdkConfiguration, login_state: LoginState) -> str:
    """The ``redirect_uri`` of a login: our Callback endpoint, on the tenant's subdomain."""
    return fill_tenant_placeholder(sdk.redirect_uri, login_state.tenant_name or "")


def start_login(
    request: HttpRequest,
    config: AuthConfig,
    sdk: SdkConfiguration,
    tenant: Tenant,
    *,
    return_url: str | None,
    custom_state: Any = None,
) -> LoginStart:
    """The authorize redirect for ``tenant``, or the application-level login page."""
    check_custom_state(custom_state)
    host = tenant_host(
        config, sdk, tenant_name=tenant.name, tenant_custom_domain=tenant.custom_domain
    )
    subdomains = sdk.parse_tenant_from_root_domain is not None
    if host is None or (subdomains and not tenant.name):
        # No tenant (or no subdomain to build our callback URL on): tenant discovery.
        return LoginStart(application_login_url(config, sdk, state=return_url), None)
    login_state = LoginState.new(
        created_at_ms=_creation_time_ms(),
        return_url=return_url,
        tenant_name=tenant.name,
        tenant_custom_domain=tenant.custom_domain,
        custom_state=custom_state,
    )
    url = authorize_url(
        config,
        host,
        {
            "client_id": config.client_id,
            "redirect_uri": callback_url(sdk, login_state),
            "response_type": "code",
            "state": login_state.state,
            "scope": " ".join(config.scopes),
            "code_challenge": _code_challenge(login_state.code_verifier),
            "code_challenge_method": "S256",
            "nonce": login_state.nonce,
            "login_hint": _hint(request, "login_hint"),
            "idp_hint": _hint(request, "idp_hint"),
        },
    )
    return LoginStart(url, login_state)
