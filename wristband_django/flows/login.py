"""Login: resolve the tenant, create the login state, build Wristband's authorize URL.

Also the rules of step-up and silent login: which ``prompt`` and ``max_age`` values a login
may ask for, when an ``auth_time`` satisfies a ``max_age``, and where a silent login that
found no Wristband session lands.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from wristband_django import telemetry
from wristband_django.conf import AuthConfig, fill_tenant_placeholder
from wristband_django.flows import login_restarts, popup_login
from wristband_django.flows.login_state import LoginState
from wristband_django.types import now_ms
from wristband_django.wristband.auto_configuration import SdkConfiguration
from wristband_django.wristband.browser_urls import (
    application_login_url,
    authorize_url,
    tenant_host,
    with_query,
)
from wristband_django.wristband.tenants import Tenant

#: Custom state travels in the login-state cookie, whose budget it shares with the return URL.
MAX_CUSTOM_STATE_BYTES = 512
MAX_HINT_LENGTH = 256

#: The ``prompt`` values a login may ask for: ``login`` (credentials again), ``none`` (no
#: page at all: logged in silently with Wristband's session, or not at all).
PROMPTS = ("login", "none")
#: ``max_age``: a whole number of seconds, digits only, from 0 to a year.
MAX_AGE_LIMIT = 31_536_000
_MAX_AGE = re.compile(r"[0-9]{1,8}")
#: A ``prompt=none`` login that found no Wristband session lands on its return URL with
#: ``?wristband_login=none``.
LOGIN_OUTCOME_PARAMETER = "wristband_login"
NOT_LOGGED_IN = "none"


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and the login state to remember (none for tenant discovery)."""

    redirect_url: str
    login_state: LoginState | None


_last_created_ms = 0
_created_lock = threading.Lock()


def _creation_time_ms() -> int:
    """Return the time in epoch ms, strictly increasing in this process.

    Cookies are ordered by age, so two logins never tie."""
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
    """Raise ``ValueError`` unless custom state is JSON and small: it travels in a cookie."""
    try:
        size = len(json.dumps(custom_state, separators=(",", ":"), ensure_ascii=False).encode())
    except (TypeError, ValueError) as exc:
        raise ValueError("custom state must be JSON-serialisable") from exc
    if size > MAX_CUSTOM_STATE_BYTES:
        raise ValueError(f"custom state is {size} bytes; the limit is {MAX_CUSTOM_STATE_BYTES}")


def parse_prompt(value: str | None) -> str | None:
    """Return the Login endpoint's ``prompt`` (``None`` when empty).

    Raise ``ValueError`` for a value that is not a known prompt."""
    if not value:
        return None
    if value not in PROMPTS:
        raise ValueError(f"prompt must be one of: {', '.join(PROMPTS)}")
    return value


def parse_max_age(value: str | None) -> int | None:
    """Return the Login endpoint's ``max_age`` (``None`` when empty).

    Raise ``ValueError`` unless it is digits only, at most ``MAX_AGE_LIMIT``."""
    if not value:
        return None
    if not _MAX_AGE.fullmatch(value) or int(value) > MAX_AGE_LIMIT:
        raise ValueError(f"max_age must be a whole number of seconds from 0 to {MAX_AGE_LIMIT}")
    return int(value)


def check_max_age(max_age: int) -> int:
    """Return ``max_age`` for a guard (decorator, mixin) once checked.

    Raise ``ValueError``, where views are declared, unless it is an int from 0 to
    ``MAX_AGE_LIMIT``."""
    if isinstance(max_age, bool) or not isinstance(max_age, int):
        raise ValueError("max_age must be a whole number of seconds")
    if not 0 <= max_age <= MAX_AGE_LIMIT:
        raise ValueError(f"max_age must be from 0 to {MAX_AGE_LIMIT} seconds")
    return max_age


def auth_time_of(value: object) -> int | None:
    """Return an ``auth_time`` claim as epoch seconds, or ``None`` if it is no usable number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return int(value)


def authenticated_within(
    auth_time: object, max_age: int, *, leeway: int, now: float | None = None
) -> bool:
    """Tell whether the last authentication (``auth_time``) is at most ``max_age`` seconds old.

    ``auth_time`` is in epoch seconds, and ``leeway`` seconds of clock skew (``jwt_leeway``)
    are allowed. An unknown ``auth_time`` counts as too old.

    The callback and the guards ask the same question, so a login the callback accepted
    is never sent straight back to log in again.
    """
    seconds = auth_time_of(auth_time)
    if seconds is None:
        return False
    return (time.time() if now is None else now) - seconds <= max_age + leeway


def not_logged_in_url(return_url: str | None, default_return_url: str) -> str:
    """Return where a ``prompt=none`` login that found no Wristband session lands.

    That is its return URL (else ``default_return_url``) with ``wristband_login=none``."""
    return with_query(return_url or default_return_url, {LOGIN_OUTCOME_PARAMETER: NOT_LOGGED_IN})


def callback_url(sdk: SdkConfiguration, login_state: LoginState) -> str:
    """Return a login's ``redirect_uri``: our Callback endpoint, on the tenant's subdomain.

    An application-level login knows no tenant: its ``redirect_uri`` keeps the
    ``{tenant_name}`` placeholder (with tenant subdomains), which Wristband fills in with the
    tenant the user picks, and the code exchange sends it back the same."""
    if login_state.is_application_level:
        return sdk.redirect_uri
    return fill_tenant_placeholder(sdk.redirect_uri, login_state.tenant_name or "")


@telemetry.traced_login
def start_login(
    request: HttpRequest,
    config: AuthConfig,
    sdk: SdkConfiguration,
    tenant: Tenant,
    *,
    return_url: str | None,
    custom_state: Any = None,
    prompt: str | None = None,
    max_age: int | None = None,
) -> LoginStart:
    """Start a login: return the authorize redirect for ``tenant``, or the application login page.

    Without a tenant (or, with tenant subdomains, without a tenant name to build our callback
    URL on), the login goes to Wristband's tenant discovery: with
    ``application_authorization_requests_enabled``, to the authorize endpoint on the
    application vanity domain, with a login state that binds no tenant
    (``flows.tenant_confirmation`` confirms Wristband's choice at the callback); else to the
    application login page, without one.

    ``prompt`` and ``max_age`` (already checked) go to Wristband's authorize endpoint and
    into the login state. A ``prompt=none`` login without a tenant ends at once as not
    logged in (tenant discovery shows a page), and the application login page drops
    ``max_age`` (a guard asking for it names the session's tenant, so it never gets there).
    A login the callback
    restarted carries its restart count (the sealed ``restart`` parameter) into its new
    login state. A popup login (``popup=1``) returns to the popup page
    (``flows.popup_login``).
    """
    check_custom_state(custom_state)
    return_url = popup_login.popup_return_url(request, config, return_url)
    host = tenant_host(
        config, sdk, tenant_name=tenant.name, tenant_custom_domain=tenant.custom_domain
    )
    root_domain = sdk.parse_tenant_from_root_domain
    cookie_domain = None
    if host is None or (root_domain is not None and not tenant.name):
        # No tenant (or no subdomain to build our callback URL on): tenant discovery.
        if prompt == "none":  # a page would be shown: not logged in
            return LoginStart(not_logged_in_url(return_url, config.default_return_url), None)
        if not sdk.application_authorization_requests_enabled:
            return LoginStart(application_login_url(config, sdk, state=return_url), None)
        # Application-level: Wristband picks the tenant, whose subdomain the callback is on.
        tenant, host = Tenant(), config.wristband_application_vanity_domain
        cookie_domain = root_domain
    login_state = LoginState.new(
        created_at_ms=_creation_time_ms(),
        return_url=return_url,
        tenant_name=tenant.name,
        tenant_custom_domain=tenant.custom_domain,
        custom_state=custom_state,
        prompt=prompt,
        max_age=max_age,
        restarts=login_restarts.open_count(
            request.GET.get(login_restarts.PARAMETER), config.login_state_secrets
        ),
        cookie_domain=cookie_domain,
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
            "prompt": prompt,
            "max_age": str(max_age) if max_age is not None else None,
        },
    )
    return LoginStart(url, login_state)
