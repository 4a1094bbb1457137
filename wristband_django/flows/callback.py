"""Callback: check the login state, exchange the code, validate the ID token, build the session.

Every edge case ends in one of three results: ``completed`` (a session to store),
``restart`` (send the browser back through login) or ``error`` (show it). Nothing
here raises for bad input.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from django.http import HttpRequest
from django.middleware.csrf import rotate_token

from wristband_django.conf import AuthConfig, hostname_error
from wristband_django.errors import InvalidGrantError, WristbandError
from wristband_django.flows import login_state as login_state_cookie
from wristband_django.flows.django_login import log_in_django_user
from wristband_django.flows.login import callback_url
from wristband_django.flows.login_state import LoginState
from wristband_django.store import login_records, session_entry
from wristband_django.store.session_entry import WristbandSession, now_ms
from wristband_django.wristband.auto_configuration import SdkConfiguration
from wristband_django.wristband.browser_urls import app_login_endpoint, application_login_url
from wristband_django.wristband.client import get_client
from wristband_django.wristband.id_tokens import validate_id_token
from wristband_django.wristband.tenants import (
    Tenant,
    requested_tenant_name,
    subdomain_tenant,
    tenant_name_params,
)

logger = logging.getLogger(__name__)

#: Wristband errors that mean "log in again" rather than "something is wrong".
RESTART_ERRORS = frozenset({"login_required"})


@dataclass(frozen=True)
class CallbackResult:
    outcome: Literal["completed", "restart", "error"]
    login_state: LoginState | None = None
    session: WristbandSession | None = None
    redirect_url: str | None = None
    error: WristbandError | None = None


def _callback_tenant(request: HttpRequest, config: AuthConfig) -> Tenant:
    """The tenant the callback's query names. Unsigned: only used to restart a login that has
    no login state, through our own Login endpoint (which checks it again), and to refuse a
    callback that names another tenant than its login state. Never asks Wristband."""
    custom_domain = (request.GET.get("tenant_custom_domain") or "").strip().lower()
    if hostname_error(custom_domain, allow_port=config.dangerously_allow_http_idp):
        custom_domain = ""
    return Tenant(name=requested_tenant_name(request), custom_domain=custom_domain or None)


def tenant_mismatch(request: HttpRequest, sdk: SdkConfiguration, stored: LoginState) -> str | None:
    """Why this callback is not for the tenant its login was started for (``None``: it is).

    The login state binds the tenant the authorize request went to: a name, a custom domain,
    or both. Each tenant value the callback carries (``tenant_name`` and its legacy alias
    ``tenant_domain``, ``tenant_custom_domain``) must equal the login state's value of the
    same kind; a kind the login state lacks cannot be checked and is never stored. With
    tenant subdomains, the request host's tenant must be the login state's too.
    """
    names = {value.strip().lower() for value in tenant_name_params(request)}
    if stored.tenant_name and names - {stored.tenant_name}:
        return "its tenant_name differs"
    custom_domain = (request.GET.get("tenant_custom_domain") or "").strip().lower()
    if stored.tenant_custom_domain and custom_domain not in ("", stored.tenant_custom_domain):
        return "its tenant_custom_domain differs"
    root_domain = sdk.parse_tenant_from_root_domain
    if root_domain and subdomain_tenant(request, root_domain) != stored.tenant_name:
        return "its host is another tenant's"
    return None


def restart_url(
    config: AuthConfig, sdk: SdkConfiguration, tenant: Tenant, return_url: str | None
) -> str:
    """Our Login endpoint for ``tenant``, or the application-level login page."""
    subdomains = sdk.parse_tenant_from_root_domain is not None
    if tenant.name or (tenant.custom_domain and not subdomains):
        return app_login_endpoint(
            sdk,
            tenant_name=tenant.name,
            tenant_custom_domain=tenant.custom_domain,
            return_url=return_url,
        )
    return application_login_url(config, sdk, state=return_url)


def _restart(
    config: AuthConfig,
    sdk: SdkConfiguration,
    login_state: LoginState | None,
    unverified: Tenant | None = None,
) -> CallbackResult:
    """Back through our Login endpoint: for the login state's tenant, or without one for the
    tenant the callback names (``unverified``: our Login endpoint checks it again)."""
    if login_state is not None:
        tenant = Tenant(login_state.tenant_name, login_state.tenant_custom_domain)
    else:
        tenant = unverified or Tenant()
    return_url = login_state.return_url if login_state else None
    url = restart_url(config, sdk, tenant, return_url)
    return CallbackResult("restart", login_state=login_state, redirect_url=url)


def complete_login(
    request: HttpRequest, config: AuthConfig, sdk: SdkConfiguration
) -> CallbackResult:
    """Finish the login Wristband redirected back to us.

    Nothing reaches Wristband unless this browser holds the login state the callback's
    ``state`` names, for the same tenant.
    """
    params = request.GET
    state = params.get("state", "")
    stored = login_state_cookie.read_cookie(request, state, config.login_state_secrets)
    if stored is None:
        logger.info("Callback without a matching login state; restarting the login")
        return _restart(config, sdk, None, _callback_tenant(request, config))
    mismatch = tenant_mismatch(request, sdk, stored)
    if mismatch is not None:
        logger.warning("Refused a callback for another tenant than its login's (%s)", mismatch)
        return _restart(config, sdk, stored)
    issuer = params.get("iss")
    if issuer is not None and issuer != config.issuer:  # RFC 9207: a mix-up attack
        mixup = WristbandError(
            "invalid_issuer", "the authorization response is from another issuer"
        )
        return CallbackResult("error", stored, error=mixup)
    error = params.get("error")
    if error in RESTART_ERRORS:
        return _restart(config, sdk, stored)
    if error:
        description = params.get("error_description", "")[:300]
        return CallbackResult("error", stored, error=WristbandError(error, description))
    code = params.get("code")
    if not code:
        return _restart(config, sdk, stored)
    try:
        entry = _exchange(config, sdk, stored, code)
    except InvalidGrantError:
        logger.info("Authorization code rejected (invalid_grant); restarting the login")
        return _restart(config, sdk, stored)
    except WristbandError as exc:
        logger.warning("Login could not be completed: %s", exc.error)
        return CallbackResult("error", stored, error=exc)
    return CallbackResult("completed", stored, session=entry)


def _exchange(
    config: AuthConfig, sdk: SdkConfiguration, stored: LoginState, code: str
) -> WristbandSession:
    """Tokens for ``code``, checked; the session's tenant is the login state's, and only its
    ``tnt_id`` comes from Wristband (signed in the tokens, confirmed by userinfo)."""
    client = get_client(config)
    tokens = client.exchange_code(
        code=code, redirect_uri=callback_url(sdk, stored), code_verifier=stored.code_verifier
    )
    if not tokens.id_token:
        raise WristbandError("invalid_token_response", "Wristband returned no ID token")
    claims = validate_id_token(config, tokens.id_token, nonce=stored.nonce)
    userinfo = client.userinfo(tokens.access_token)
    if userinfo.get("sub") != claims["sub"]:
        raise WristbandError("invalid_userinfo", "userinfo is about another user than the ID token")
    tenant_id = userinfo.get("tnt_id") or claims.get("tnt_id")
    if not isinstance(tenant_id, str) or not tenant_id:
        raise WristbandError("invalid_userinfo", "userinfo has no tenant id (tnt_id)")
    if claims.get("tnt_id") not in (None, tenant_id):
        raise WristbandError(
            "invalid_userinfo", "userinfo is about another tenant than the ID token"
        )
    idp_name = userinfo.get("idp_name") or claims.get("idp_name")
    issued = now_ms()
    return WristbandSession(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        id_token=tokens.id_token,
        expires_at=issued + (tokens.expires_in - config.token_expiration_buffer) * 1000,
        user_id=claims["sub"],
        tenant_id=tenant_id,
        tenant_name=stored.tenant_name,
        tenant_custom_domain=stored.tenant_custom_domain,
        idp_name=idp_name if isinstance(idp_name, str) else None,
        userinfo=userinfo,
        created_at=issued,
    )


def start_session(request: HttpRequest, entry: WristbandSession) -> bool:
    """Store a completed login in ``request.session``; False (and no session) if the Django
    user was refused (``authenticate_django_user``)."""
    session = request.session
    previous_key = session.session_key
    previous = session_entry.load(session)
    if previous is not None and previous.user_id != entry.user_id:
        session.flush()  # another user's data must not carry over
    else:
        session.cycle_key()  # a new key: no session fixation
    if not log_in_django_user(request, entry):  # may cycle the key once more
        session.flush()
        return False
    session_entry.store(session, entry)
    rotate_token(request)  # a new CSRF token with the login, as Django's login() does
    login_records.record_login(request, entry, previous_key=previous_key)
    return True
