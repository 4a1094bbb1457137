"""Callback: check the login state, exchange the code, validate the ID token, build the session.

Every edge case ends in one of four results: ``completed`` (a session to store),
``restart`` (send the browser back through login), ``not_logged_in`` (a ``prompt=none``
login that found no Wristband session: back to its return URL, marked) or ``error`` (show
it). Every result but ``completed`` carries its ``LoginFailure`` reason. Nothing here
raises for bad input.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.middleware.csrf import rotate_token

from wristband_django.conf import AuthConfig, hostname_error
from wristband_django.errors import (
    InvalidGrantError,
    InvalidIdTokenError,
    StoreUnavailableError,
    WristbandError,
)
from wristband_django.flows import login_state as login_state_cookie
from wristband_django.flows import rolling
from wristband_django.flows.django_login import log_in_django_user
from wristband_django.flows.login import (
    auth_time_of,
    authenticated_within,
    callback_url,
    not_logged_in_url,
)
from wristband_django.flows.login_state import LoginState
from wristband_django.signals import LoginFailure
from wristband_django.store import django_internals, login_records, session_entry
from wristband_django.store.session_entry import WristbandSession, now_ms
from wristband_django.wristband.auto_configuration import SdkConfiguration
from wristband_django.wristband.browser_urls import (
    app_login_endpoint,
    application_login_url,
    with_query,
)
from wristband_django.wristband.client import get_client
from wristband_django.wristband.id_tokens import validate_id_token
from wristband_django.wristband.tenants import (
    Tenant,
    requested_tenant_name,
    subdomain_tenant,
    tenant_name_params,
)

logger = logging.getLogger(__name__)

SIGNED_COOKIES_ENGINE = "django.contrib.sessions.backends.signed_cookies"
#: Fresh keys tried before giving up (a collision of 32 random characters never happens).
MAX_NEW_KEY_ATTEMPTS = 10
NEW_SESSION_COOKIE = "_wristband_new_session_cookie"

#: Wristband errors that mean "log in again" rather than "something is wrong".
RESTART_ERRORS = frozenset({"login_required"})
#: A ``prompt=none`` login's answers that mean "not without a page" (OpenID Connect Core
#: 3.1.2.6): it ends as not logged in, never restarts (which would loop).
SILENT_LOGIN_ERRORS = frozenset(
    {"login_required", "interaction_required", "consent_required", "account_selection_required"}
)
#: Hosts where browsers keep ``Secure`` cookies over plain http (a "potentially trustworthy"
#: origin), so a lost login-state cookie there is not the ``Secure`` flag's doing.
_LOCAL_HOSTNAMES = ("localhost",)


class MaxAgeExceededError(WristbandError):
    """A login that asked for ``max_age`` got an ID token whose ``auth_time`` is older, or
    none (OpenID Connect Core 3.1.2.1: ``auth_time`` is then required)."""

    def __init__(self, error_description: str):
        super().__init__("max_age_exceeded", error_description)


@dataclass(frozen=True)
class CallbackResult:
    outcome: Literal["completed", "restart", "error", "not_logged_in"]
    login_state: LoginState | None = None
    session: WristbandSession | None = None
    redirect_url: str | None = None
    error: WristbandError | None = None
    #: Why no one was logged in (a ``LoginFailure`` value); ``None`` when completed.
    reason: str | None = None


def failure_reason(error: WristbandError) -> str:
    """The ``LoginFailure`` reason of an error that stopped a code exchange."""
    if isinstance(error, InvalidGrantError):
        return LoginFailure.INVALID_GRANT
    if isinstance(error, MaxAgeExceededError):
        return LoginFailure.MAX_AGE_EXCEEDED
    if isinstance(error, InvalidIdTokenError):
        return LoginFailure.INVALID_ID_TOKEN
    if error.retryable:
        return LoginFailure.WRISTBAND_UNAVAILABLE
    return LoginFailure.EXCHANGE_FAILED


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
    config: AuthConfig,
    sdk: SdkConfiguration,
    tenant: Tenant,
    return_url: str | None,
    *,
    prompt: str | None = None,
    max_age: int | None = None,
) -> str:
    """Our Login endpoint for ``tenant`` (with the login's ``prompt`` and ``max_age``), or
    the application-level login page."""
    subdomains = sdk.parse_tenant_from_root_domain is not None
    if tenant.name or (tenant.custom_domain and not subdomains):
        url = app_login_endpoint(
            sdk,
            tenant_name=tenant.name,
            tenant_custom_domain=tenant.custom_domain,
            return_url=return_url,
        )
        step_up = str(max_age) if max_age is not None else None
        return with_query(url, {"prompt": prompt, "max_age": step_up})
    return application_login_url(config, sdk, state=return_url)


def _restart(
    config: AuthConfig,
    sdk: SdkConfiguration,
    login_state: LoginState | None,
    unverified: Tenant | None = None,
    *,
    reason: str,
    error: WristbandError,
) -> CallbackResult:
    """Back through our Login endpoint: for the login state's tenant, or without one for the
    tenant the callback names (``unverified``: our Login endpoint checks it again)."""
    if login_state is not None:
        tenant = Tenant(login_state.tenant_name, login_state.tenant_custom_domain)
        url = restart_url(
            config,
            sdk,
            tenant,
            login_state.return_url,
            prompt=login_state.prompt,
            max_age=login_state.max_age,
        )
    else:
        url = restart_url(config, sdk, unverified or Tenant(), None)
    return CallbackResult(
        "restart", login_state=login_state, redirect_url=url, error=error, reason=reason
    )


def _sent_login_state(request: HttpRequest) -> bool:
    """Whether the browser sent any login-state cookie (with a value) at all."""
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
    """A login-state cookie that never came back. On a plain-http host other than localhost
    that is the ``Secure`` flag (browsers keep such cookies to https and localhost), and
    every login would restart: say so at WARNING, with the fix."""
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


def _scrubbed(error: WristbandError, code: str) -> WristbandError:
    """``error``, or a copy without the authorization code if Wristband's words echo it."""
    if code not in error.error and code not in error.error_description:
        return error
    copy = WristbandError(
        error.error.replace(code, "[code]"),
        error.error_description.replace(code, "[code]"),
        status=error.status,
    )
    copy.retryable = error.retryable
    return copy


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
        unverified = _callback_tenant(request, config)
        if _sent_login_state(request):
            logger.info("Callback without a matching login state; restarting the login")
            mismatch = WristbandError(
                "invalid_state", "No pending login of this browser matches the callback."
            )
            return _restart(
                config,
                sdk,
                None,
                unverified,
                reason=LoginFailure.LOGIN_STATE_MISMATCH,
                error=mismatch,
            )
        _log_lost_login_state(request, config)
        lost = WristbandError("invalid_state", "The browser sent no login-state cookie.")
        return _restart(
            config, sdk, None, unverified, reason=LoginFailure.MISSING_LOGIN_STATE, error=lost
        )
    mismatch_reason = tenant_mismatch(request, sdk, stored)
    if mismatch_reason is not None:
        logger.warning(
            "Refused a callback for another tenant than its login's (%s)", mismatch_reason
        )
        other_tenant = WristbandError(
            "tenant_mismatch",
            f"The callback is not for the tenant its login was started for: {mismatch_reason}.",
        )
        return _restart(
            config, sdk, stored, reason=LoginFailure.TENANT_MISMATCH, error=other_tenant
        )
    issuer = params.get("iss")
    if issuer is not None and issuer != config.issuer:  # RFC 9207: a mix-up attack
        mixup = WristbandError(
            "invalid_issuer", "the authorization response is from another issuer"
        )
        return CallbackResult("error", stored, error=mixup, reason=LoginFailure.ISSUER_MISMATCH)
    error = params.get("error")
    if error:
        answered = WristbandError(error[:100], params.get("error_description", "")[:300])
        if stored.prompt == "none" and error in SILENT_LOGIN_ERRORS:
            logger.info("A prompt=none login found no Wristband session (%s)", answered.error)
            url = not_logged_in_url(stored.return_url, config.default_return_url)
            return CallbackResult(
                "not_logged_in",
                stored,
                redirect_url=url,
                error=answered,
                reason=LoginFailure.LOGIN_REQUIRED,
            )
        if error in RESTART_ERRORS:
            return _restart(config, sdk, stored, reason=LoginFailure.LOGIN_REQUIRED, error=answered)
        return CallbackResult(
            "error", stored, error=answered, reason=LoginFailure.AUTHORIZATION_ERROR
        )
    code = params.get("code")
    if not code:
        no_code = WristbandError("invalid_request", "The callback has neither a code nor an error.")
        return _restart(config, sdk, stored, reason=LoginFailure.MISSING_CODE, error=no_code)
    try:
        entry = _exchange(config, sdk, stored, code)
    except InvalidGrantError as exc:
        logger.info("Authorization code rejected (invalid_grant); restarting the login")
        return _restart(
            config, sdk, stored, reason=LoginFailure.INVALID_GRANT, error=_scrubbed(exc, code)
        )
    except WristbandError as exc:
        logger.warning("Login could not be completed: %s", exc.error)
        return CallbackResult(
            "error", stored, error=_scrubbed(exc, code), reason=failure_reason(exc)
        )
    return CallbackResult("completed", stored, session=entry)


def _check_max_age(config: AuthConfig, stored: LoginState, claims: dict[str, object]) -> None:
    """A login that asked for ``max_age`` needs an ID token whose ``auth_time`` meets it."""
    if stored.max_age is None:
        return
    if auth_time_of(claims.get("auth_time")) is None:
        raise MaxAgeExceededError(
            f"The login asked for max_age={stored.max_age}, and the ID token has no auth_time."
        )
    if not authenticated_within(claims["auth_time"], stored.max_age, leeway=config.jwt_leeway):
        raise MaxAgeExceededError(
            f"The login asked for max_age={stored.max_age}: Wristband did not authenticate "
            "you recently enough."
        )


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
    _check_max_age(config, stored, claims)
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
        expires_at=issued + (tokens.expires_in - config.token_expiration_buffer) * 1000,
        user_id=claims["sub"],
        tenant_id=tenant_id,
        tenant_name=stored.tenant_name,
        tenant_custom_domain=stored.tenant_custom_domain,
        idp_name=idp_name if isinstance(idp_name, str) else None,
        userinfo=userinfo,
        created_at=issued,
        auth_time=auth_time_of(claims.get("auth_time")),
    )


def start_session(request: HttpRequest, entry: WristbandSession) -> bool:
    """Store a completed login in ``request.session``; False (and no session) if the Django
    user was refused (``authenticate_django_user``)."""
    session = request.session
    previous_key = session.session_key
    previous = session_entry.load(session)
    if previous is not None and previous.user_id != entry.user_id:
        session.flush()  # another user's data must not carry over
    elif previous_key is not None:
        session.cycle_key()  # a new key: no session fixation
    if not log_in_django_user(request, entry):  # may cycle the key once more
        session.flush()
        return False
    session_entry.store(session, entry)
    rotate_token(request)  # a new CSRF token with the login, as Django's login() does
    if session.session_key is None:
        create_with_login(request)
    login_records.record_login(request, entry, previous_key=previous_key)
    return True


def create_with_login(request: HttpRequest) -> None:
    """Create the new session in the store with the login in it: one write of a fresh random
    key that must not exist yet (SET NX on a cache, INSERT on the database; a taken key is
    drawn again). Django's ``create()`` would ask the store first whether the key is free,
    and ``cycle_key`` would write an empty session and then this one again. The view sends
    the cookie (``new_session_cookie``); ``SessionMiddleware`` saves again only if something
    changes the session afterwards. A brand-new key has no newest-tokens record, so nothing
    needs checking before it. A store that takes none of the keys: 503."""
    session = request.session
    if settings.SESSION_ENGINE == SIGNED_COOKIES_ENGINE:
        return  # no store: the cookie is the session, SessionMiddleware sends it
    rolling.stamp(session)
    for _ in range(MAX_NEW_KEY_ATTEMPTS):
        try:
            django_internals.save_under_new_key(session)
        except CreateError:
            continue
        session.modified = False
        setattr(request, NEW_SESSION_COOKIE, True)
        return
    # Only a store that refuses every write (a cache that fails silently) gets here.
    raise StoreUnavailableError("The session store accepted no new session.")


def new_session_cookie(request: HttpRequest) -> bool:
    """Whether the response must carry the cookie of a session ``create_with_login`` saved
    (and nothing changed since, else ``SessionMiddleware`` sends it)."""
    session = getattr(request, "session", None)
    created = bool(getattr(request, NEW_SESSION_COOKIE, False))
    return created and session is not None and not session.modified
