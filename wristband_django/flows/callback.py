"""Callback: check the login state, exchange the code, validate the ID token, build the session.

Every edge case ends in one of four results: ``completed`` (a session to store),
``restart`` (send the browser back through login: ``flows.login_restarts``, at most
``MAX_RESTARTS`` times per login), ``not_logged_in`` (a ``prompt=none`` login that found no
Wristband session: back to its return URL, marked) or ``error`` (show it). Every result but
``completed`` carries its ``LoginFailure`` reason. Nothing here raises for bad input. The
code exchange and its checks are ``flows.code_exchange``'s. An application-level login
(no tenant in its login state) completes for the signed ``tnt_id``, its tenant kept once
confirmed (``flows.tenant_confirmation``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError
from django.http import HttpRequest
from django.middleware.csrf import rotate_token

from wristband_django import telemetry
from wristband_django.conf import AuthConfig, get_config
from wristband_django.errors import (
    InvalidGrantError,
    MaxAgeExceededError,
    StoreUnavailableError,
    WristbandError,
)
from wristband_django.flows import login_state as login_state_cookie
from wristband_django.flows import rolling, tenant_confirmation, tenant_hosts
from wristband_django.flows.code_exchange import (
    exchange,
    failure_reason,
    operator_hint,
    scrubbed,
)
from wristband_django.flows.django_login import log_in_django_user
from wristband_django.flows.login import not_logged_in_url
from wristband_django.flows.login_restarts import (
    Restart,
    restart,
    restart_url,
    restart_without_login_state,
)
from wristband_django.flows.login_state import LoginState
from wristband_django.signals import LoginFailure
from wristband_django.store import django_internals, login_records, session_entry
from wristband_django.store.engines import SIGNED_COOKIES_ENGINE
from wristband_django.types import WristbandSession
from wristband_django.wristband.auto_configuration import SdkConfiguration
from wristband_django.wristband.tenants import subdomain_tenant, tenant_name_params

#: Importable from here as before: the Callback view and projects use these names.
__all__ = [
    "CallbackResult",
    "MaxAgeExceededError",
    "complete_login",
    "create_with_login",
    "failure_reason",
    "new_session_cookie",
    "restart_url",
    "start_session",
    "tenant_mismatch",
]

logger = logging.getLogger(__name__)

#: Fresh keys tried before giving up (a collision of 32 random characters never happens).
MAX_NEW_KEY_ATTEMPTS = 10
NEW_SESSION_COOKIE = "_wristband_new_session_cookie"

#: Wristband errors that mean "log in again" rather than "something is wrong".
RESTART_ERRORS = frozenset({"login_required"})
#: A ``prompt=none`` login's answers that mean "not without a page" (OpenID Connect Core
#: 3.1.2.6): it ends as not logged in, never restarts.
SILENT_LOGIN_ERRORS = frozenset(
    {"login_required", "interaction_required", "consent_required", "account_selection_required"}
)


@dataclass(frozen=True)
class CallbackResult:
    outcome: Literal["completed", "restart", "error", "not_logged_in"]
    login_state: LoginState | None = None
    session: WristbandSession | None = None
    redirect_url: str | None = None
    error: WristbandError | None = None
    #: Why no one was logged in (a ``LoginFailure`` value); ``None`` when completed.
    reason: str | None = None


def tenant_mismatch(request: HttpRequest, sdk: SdkConfiguration, stored: LoginState) -> str | None:
    """Return why this callback is not for the tenant its login was started for, else ``None``.

    The login state binds the tenant the authorize request went to: a name, a custom domain,
    or both. Each tenant value the callback carries (``tenant_name`` and its legacy alias
    ``tenant_domain``, ``tenant_custom_domain``) must equal the login state's value of the
    same kind; a kind the login state lacks cannot be checked and is never stored. With
    tenant subdomains, the request host's tenant must be the login state's too. An
    application-level login state binds no tenant: ``flows.tenant_confirmation`` confirms the
    one the callback names instead.
    """
    if stored.is_application_level:
        return None
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


def _restarted(stored: LoginState | None, restarted: Restart, *, reason: str) -> CallbackResult:
    """Return the result of a login that must start again.

    That is a restart, or the error page once the login was restarted ``MAX_RESTARTS`` times.
    """
    if restarted.url is None:
        return CallbackResult("error", stored, error=restarted.error, reason=reason)
    return CallbackResult(
        "restart", stored, redirect_url=restarted.url, error=restarted.error, reason=reason
    )


@telemetry.traced_callback
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
        reason, restarted = restart_without_login_state(request, config, sdk)
        return _restarted(None, restarted, reason=reason)
    mismatch_reason = tenant_mismatch(request, sdk, stored)
    if mismatch_reason is not None:
        logger.warning(
            "Refused a callback for another tenant than its login's (%s)", mismatch_reason
        )
        other_tenant = WristbandError(
            "tenant_mismatch",
            f"The callback is not for the tenant its login was started for: {mismatch_reason}.",
        )
        restarted = restart(config, sdk, stored, other_tenant)
        return _restarted(stored, restarted, reason=LoginFailure.TENANT_MISMATCH)
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
            restarted = restart(config, sdk, stored, answered)
            return _restarted(stored, restarted, reason=LoginFailure.LOGIN_REQUIRED)
        return CallbackResult(
            "error", stored, error=answered, reason=LoginFailure.AUTHORIZATION_ERROR
        )
    code = params.get("code")
    if not code:
        no_code = WristbandError("invalid_request", "The callback has neither a code nor an error.")
        return _restarted(
            stored, restart(config, sdk, stored, no_code), reason=LoginFailure.MISSING_CODE
        )
    claim = None
    if stored.is_application_level:  # the tenant Wristband chose, unsigned: see below
        claim = tenant_confirmation.claim_of(request, config, sdk)
    try:
        entry = exchange(config, sdk, stored, code)
    except InvalidGrantError as exc:
        logger.info("Authorization code rejected (invalid_grant); restarting the login")
        restarted = restart(config, sdk, stored, scrubbed(exc, code))
        return _restarted(stored, restarted, reason=LoginFailure.INVALID_GRANT)
    except WristbandError as exc:
        logger.warning("Login could not be completed: %s%s", exc.error, operator_hint(exc))
        return CallbackResult(
            "error", stored, error=scrubbed(exc, code), reason=failure_reason(exc)
        )
    if stored.is_application_level:  # the session keeps the tenant only once confirmed
        kept = tenant_confirmation.confirmed(entry, claim)
        if claim is not None and kept is None:  # this site knows another id for it
            restarted = tenant_confirmation.refused(config, sdk, stored, claim, entry)
            return _restarted(stored, restarted, reason=LoginFailure.TENANT_MISMATCH)
        entry, stored = kept or entry, tenant_confirmation.then_confirm(config, sdk, stored, claim)
    return CallbackResult("completed", stored, session=entry)


@telemetry.counts_store_outages("login")
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
    tenant_hosts.remember_session_tenant(get_config(), entry)  # for bearer tokens on its host
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
    """Tell whether the response must carry the cookie of a session ``create_with_login`` saved.

    It must if nothing changed since; otherwise ``SessionMiddleware`` sends the cookie itself.
    """
    session = getattr(request, "session", None)
    created = bool(getattr(request, NEW_SESSION_COOKIE, False))
    return created and session is not None and not session.modified
