"""Login restarts: where the callback sends a login that must start again, and how often.

The callback restarts a login (back through this app's Login endpoint, for the login's
tenant) when the answer means "try again": no login state, another tenant,
``login_required``, no code, ``invalid_grant``. Whatever Wristband answers, a login is
restarted at most ``MAX_RESTARTS`` times; the next failure that would restart it ends it
on the error page instead, whose link signs in again with ``prompt=login`` (Wristband asks
for credentials: never another silent attempt).

The count rides the login's whole round trip, so it survives the restart:

- Callback to Login: the restart URL's ``restart`` parameter, sealed with
  ``login_state_secret`` (no one can write a count, only replay one this app sealed in the
  last hour); a missing, tampered or expired one counts as a new login.
- Login to Wristband and back: the new login state (sealed in its cookie), and the end of
  its ``state`` (``.1``, ``.2``: Wristband hands ``state`` back verbatim). The ``state``'s
  count is read only when no login state matches the callback (its cookie never came
  back); it is unsigned, and can only end a login sooner.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest

from wristband_django.conf import AuthConfig, hostname_error
from wristband_django.errors import WristbandError
from wristband_django.flows import login_state as login_state_cookie
from wristband_django.flows.login_state import LoginState, restarts_in_state
from wristband_django.signals import LoginFailure
from wristband_django.store.sealing import seal, unseal
from wristband_django.wristband.auto_configuration import SdkConfiguration
from wristband_django.wristband.browser_urls import (
    app_login_endpoint,
    application_login_url,
    with_query,
)
from wristband_django.wristband.tenants import Tenant, requested_tenant_name

logger = logging.getLogger(__name__)

#: Restarts of one login before the error page: at most ``MAX_RESTARTS + 1`` authorize →
#: callback round trips (and code exchanges) per login the user started.
MAX_RESTARTS = 2
#: The Login endpoint's parameter carrying a restarted login's count.
PARAMETER = "restart"
_PURPOSE = b"login-restart v1"
_AAD = PARAMETER.encode()
#: Hosts where browsers keep ``Secure`` cookies over plain http (a "potentially trustworthy"
#: origin), so a lost login-state cookie there is not the ``Secure`` flag's doing.
_LOCAL_HOSTNAMES = ("localhost",)


class RestartLimitError(WristbandError):
    """A login that would be restarted once more than ``MAX_RESTARTS``: the error page, with
    ``retry_url`` (a new login that asks for credentials) as its next step. ``error`` is the
    last failure's."""

    def __init__(self, cause: WristbandError, *, restarts: int, retry_url: str):
        described = f" ({cause.error_description[:300]})" if cause.error_description else ""
        super().__init__(
            cause.error,
            f"The login was restarted {restarts} times and still did not complete{described}."
            " Log in again to enter your credentials.",
            status=cause.status,
        )
        self.retry_url = retry_url


@dataclass(frozen=True)
class Restart:
    """A login that must start again: ``url`` is where the browser goes next, or ``None``
    when the login was restarted ``MAX_RESTARTS`` times already and ``error`` (a
    ``RestartLimitError``) ends it; else ``error`` says why it restarts."""

    url: str | None
    error: WristbandError


def seal_count(restarts: int, secrets: Sequence[str]) -> str:
    """Return the sealed ``restart`` parameter saying a login was restarted ``restarts`` times."""
    plaintext = f"{restarts}:{int(time.time())}".encode()
    sealed = seal(plaintext, purpose=_PURPOSE, aad=_AAD, secrets=secrets)
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def open_count(value: str | None, secrets: Sequence[str]) -> int:
    """Return the restart count a ``restart`` parameter carries.

    Return 0 (a new login) unless this app sealed the parameter within the last hour."""
    if not value or len(value) > 200:
        return 0
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return 0
    opened = unseal(raw, purpose=_PURPOSE, aad=_AAD, secrets=secrets)
    count, _, sealed_at = (opened or b"").decode("ascii", "replace").partition(":")
    if not (count.isdigit() and sealed_at.isdigit()):
        return 0
    age = time.time() - int(sealed_at)
    fresh = -login_state_cookie.MAX_CLOCK_SKEW_SECONDS <= age <= login_state_cookie.MAX_AGE_SECONDS
    return min(int(count), MAX_RESTARTS) if fresh else 0


def restart_url(
    config: AuthConfig,
    sdk: SdkConfiguration,
    tenant: Tenant,
    return_url: str | None,
    *,
    prompt: str | None = None,
    max_age: int | None = None,
    restarts: int = 0,
) -> str:
    """Return our Login endpoint for ``tenant``, or the application-level login page.

    The Login endpoint's URL carries the login's ``prompt``, ``max_age`` and restart count."""
    subdomains = sdk.parse_tenant_from_root_domain is not None
    if tenant.name or (tenant.custom_domain and not subdomains):
        url = app_login_endpoint(
            sdk,
            tenant_name=tenant.name,
            tenant_custom_domain=tenant.custom_domain,
            return_url=return_url,
        )
        step_up = str(max_age) if max_age is not None else None
        count = seal_count(restarts, config.login_state_secrets) if restarts else None
        return with_query(url, {"prompt": prompt, "max_age": step_up, PARAMETER: count})
    return application_login_url(config, sdk, state=return_url)


def restart(
    config: AuthConfig,
    sdk: SdkConfiguration,
    login_state: LoginState | None,
    error: WristbandError,
    *,
    unverified: Tenant | None = None,
    pending_restarts: int = 0,
    state: str = "",
) -> Restart:
    """Return the restart of a login, or the error page past ``MAX_RESTARTS``.

    The login restarts for the login state's tenant or, without a login state, for the
    tenant the callback names (``unverified``: our Login endpoint checks it again). Its count
    is the login state's; without one, the higher of the callback's ``state``'s and of the
    browser's newest pending login's (``pending_restarts``: the login just started, so a
    ``state`` that does not come back intact restarts no more either)."""
    if login_state is not None:
        tenant = Tenant(login_state.tenant_name, login_state.tenant_custom_domain)
        return_url, prompt, max_age = (
            login_state.return_url,
            login_state.prompt,
            login_state.max_age,
        )
        done = login_state.restarts
    else:
        tenant, return_url, prompt, max_age = unverified or Tenant(), None, None, None
        done = max(restarts_in_state(state), pending_restarts)
    if done >= MAX_RESTARTS:
        logger.warning(
            "A login failed again after %d restarts (%s): showing the error page", done, error.error
        )
        retry_url = restart_url(config, sdk, tenant, return_url, prompt="login", max_age=max_age)
        return Restart(None, RestartLimitError(error, restarts=done, retry_url=retry_url))
    url = restart_url(
        config, sdk, tenant, return_url, prompt=prompt, max_age=max_age, restarts=done + 1
    )
    return Restart(url, error)


def restart_without_login_state(
    request: HttpRequest, config: AuthConfig, sdk: SdkConfiguration
) -> tuple[str, Restart]:
    """Return the reason (a ``LoginFailure``) and the restart of a callback without login state.

    That is a callback whose ``state`` names no login state this browser holds."""
    unverified = _callback_tenant(request, config)
    state = request.GET.get("state", "")
    if _sent_login_state(request):
        logger.info("Callback without a matching login state; restarting the login")
        mismatch = WristbandError(
            "invalid_state", "No pending login of this browser matches the callback."
        )
        pending = login_state_cookie.newest_restarts(request, config.login_state_secrets)
        restarted = restart(
            config,
            sdk,
            None,
            mismatch,
            unverified=unverified,
            pending_restarts=pending,
            state=state,
        )
        return LoginFailure.LOGIN_STATE_MISMATCH, restarted
    _log_lost_login_state(request, config)
    lost = WristbandError("invalid_state", "The browser sent no login-state cookie.")
    restarted = restart(config, sdk, None, lost, unverified=unverified, state=state)
    return LoginFailure.MISSING_LOGIN_STATE, restarted


def _callback_tenant(request: HttpRequest, config: AuthConfig) -> Tenant:
    """Return the tenant the callback's query names, without asking Wristband.

    The value is unsigned: it is only used to restart a login that has no login state,
    through our own Login endpoint (which checks it again)."""
    custom_domain = (request.GET.get("tenant_custom_domain") or "").strip().lower()
    if hostname_error(custom_domain, allow_port=config.dangerously_allow_http_idp):
        custom_domain = ""
    return Tenant(name=requested_tenant_name(request), custom_domain=custom_domain or None)


def _sent_login_state(request: HttpRequest) -> bool:
    """Tell whether the browser sent any login-state cookie (with a value) at all."""
    return any(
        name.startswith(login_state_cookie.COOKIE_PREFIX) and value
        for name, value in request.COOKIES.items()
    )


def _is_local(hostname: str) -> bool:
    if hostname in _LOCAL_HOSTNAMES or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _log_lost_login_state(request: HttpRequest, config: AuthConfig) -> None:
    """Log a login-state cookie that never came back.

    On a plain-http host other than localhost the cause is the ``Secure`` flag (browsers
    keep such cookies to https and localhost), and every login would restart: say so at
    WARNING, with the fix."""
    try:
        host = request.get_host()
    except DisallowedHost:
        host = ""
    hostname = urlsplit(f"//{host}").hostname or ""
    secure_cookie = not config.dangerously_disable_secure_cookies
    if secure_cookie and host and not request.is_secure() and not _is_local(hostname):
        logger.warning(
            "The login-state cookie did not come back to http://%s: it is Secure, and browsers "
            "send Secure cookies over https (and to localhost) only, so every login restarts. "
            "Serve the site over https (behind a TLS proxy, set SECURE_PROXY_SSL_HEADER), or "
            "for local development only set WRISTBAND_AUTH['dangerously_disable_secure_cookies']"
            " = True.",
            host,
        )
    else:
        logger.info("Callback without a login-state cookie; restarting the login")
