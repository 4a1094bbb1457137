"""The code exchange: tokens for an authorization code, checked, as a session entry.

The ID token is validated (signature, issuer, audience, expiry, nonce), a login that asked
for ``max_age`` needs an ``auth_time`` that meets it, and userinfo must be about the same
user and tenant. Also the ``LoginFailure`` reason of an error that stopped an exchange, and
what its log line tells the operator to check.
"""

from __future__ import annotations

from wristband_django.conf import AuthConfig
from wristband_django.errors import (
    InvalidGrantError,
    InvalidIdTokenError,
    MaxAgeExceededError,
    WristbandError,
)
from wristband_django.flows.login import auth_time_of, authenticated_within, callback_url
from wristband_django.flows.login_state import LoginState
from wristband_django.signals import LoginFailure
from wristband_django.types import WristbandSession, now_ms
from wristband_django.types.claims import scope_names
from wristband_django.wristband.auto_configuration import SdkConfiguration
from wristband_django.wristband.client import get_client
from wristband_django.wristband.id_tokens import validate_id_token


def failure_reason(error: WristbandError) -> str:
    """Return the ``LoginFailure`` reason of an error that stopped a code exchange."""
    if isinstance(error, InvalidGrantError):
        return LoginFailure.INVALID_GRANT
    if isinstance(error, MaxAgeExceededError):
        return LoginFailure.MAX_AGE_EXCEEDED
    if isinstance(error, InvalidIdTokenError):
        return LoginFailure.INVALID_ID_TOKEN
    if error.retryable:
        return LoginFailure.WRISTBAND_UNAVAILABLE
    return LoginFailure.EXCHANGE_FAILED


def operator_hint(error: WristbandError) -> str:
    """Return what the log line of an exchange stopped by ``error`` adds for the operator:
    for refused client credentials (``invalid_client``, or a 401), which settings to check;
    else nothing."""
    if error.error == "invalid_client" or error.status == 401:
        return " (Wristband refused this app's credentials: check client_id/client_secret)"
    return ""


def scrubbed(error: WristbandError, code: str) -> WristbandError:
    """Return ``error``, or a copy without the authorization code if its words echo it."""
    if code not in error.error and code not in error.error_description:
        return error
    copy = WristbandError(
        error.error.replace(code, "[code]"),
        error.error_description.replace(code, "[code]"),
        status=error.status,
    )
    copy.retryable = error.retryable
    return copy


def _check_max_age(config: AuthConfig, stored: LoginState, claims: dict[str, object]) -> None:
    """Raise ``MaxAgeExceededError`` if the ID token's ``auth_time`` misses the login's ``max_age``.

    A login that did not ask for ``max_age`` passes; an ID token without ``auth_time`` fails."""
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


def exchange(
    config: AuthConfig, sdk: SdkConfiguration, stored: LoginState, code: str
) -> WristbandSession:
    """Exchange ``code`` for tokens, check them, and return the new Wristband session.

    The session's tenant is the login state's; only its ``tnt_id`` comes from Wristband
    (signed in the tokens, confirmed by userinfo)."""
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
        scopes=scope_names(tokens.scope) or config.scopes,  # none named: those asked for
    )
