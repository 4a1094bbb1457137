"""The names of what the telemetry records: spans, instruments and attributes.

Attributes follow OpenTelemetry's semantic conventions where one exists
(``http.request.method``, ``http.response.status_code``, ``server.address``,
``server.port``, ``url.template``, ``error.type``); the others are this app's, under
``wristband.``. The Observability page of the docs lists each with its values.
"""

from __future__ import annotations

from typing import Final

#: The instrumentation scope: the tracer's and the meter's name.
SCOPE: Final = "wristband_django"

# --- spans -------------------------------------------------------------------------------
LOGIN_SPAN: Final = "wristband.login"
CALLBACK_SPAN: Final = "wristband.callback"
REFRESH_SPAN: Final = "wristband.refresh"
LOGOUT_SPAN: Final = "wristband.logout"
#: A call to Wristband's span is named ``{method} {url.template}`` (``POST
#: /api/v1/oauth2/token``), as OpenTelemetry names HTTP client spans.

# --- instruments -------------------------------------------------------------------------
LOGIN_STARTS: Final = "wristband.login.starts"
LOGINS: Final = "wristband.logins"
REFRESHES: Final = "wristband.refreshes"
STORE_OUTAGES: Final = "wristband.store.outages"
JWKS_FETCHES: Final = "wristband.jwks.fetches"
LOCK_WAIT: Final = "wristband.lock.wait.duration"
CALL_DURATION: Final = "wristband.call.duration"

# --- attributes: OpenTelemetry's semantic conventions ------------------------------------
HTTP_METHOD: Final = "http.request.method"
HTTP_STATUS: Final = "http.response.status_code"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
URL_TEMPLATE: Final = "url.template"
ERROR_TYPE: Final = "error.type"

# --- attributes: this app's ---------------------------------------------------------------
CALL: Final = "wristband.call"
ATTEMPT: Final = "wristband.attempt"
RETRY: Final = "wristband.retry"
LOGIN_STEP: Final = "wristband.login.step"
LOGIN_OUTCOME: Final = "wristband.login.outcome"
LOGIN_FAILURE: Final = "wristband.login.failure"
REFRESH_OUTCOME: Final = "wristband.refresh.outcome"
REFRESH_ATTEMPTS: Final = "wristband.refresh.attempts"
LOGOUT_ENDED: Final = "wristband.logout.ended_session"
TENANT_ID: Final = "wristband.tenant.id"
STORE_OPERATION: Final = "wristband.store.operation"
JWKS_OUTCOME: Final = "wristband.jwks.outcome"
LOCK_PURPOSE: Final = "wristband.lock.purpose"
LOCK_ACQUIRED: Final = "wristband.lock.acquired"

#: The calls ``wristband.client`` makes, by the name it gives each (its ``what``): the
#: ``wristband.call`` value and the ``url.template``. A call not listed here is named after
#: its ``what`` and has no template.
CALLS: Final[dict[str, tuple[str, str]]] = {
    "code exchange": ("code_exchange", "/api/v1/oauth2/token"),
    "token refresh": ("token_refresh", "/api/v1/oauth2/token"),
    "client credentials": ("client_credentials", "/api/v1/oauth2/token"),
    "userinfo": ("userinfo", "/api/v1/oauth2/userinfo"),
    "revoke": ("revoke", "/api/v1/oauth2/revoke"),
    "JWKS": ("jwks", "/api/v1/oauth2/jwks"),
    "sdk-configuration": ("sdk_configuration", "/api/v1/clients/{client_id}/sdk-configuration"),
    "custom domain check": ("custom_domain_check", "/api/v1/custom-domains/validate"),
}

SPANS: Final = (LOGIN_SPAN, CALLBACK_SPAN, REFRESH_SPAN, LOGOUT_SPAN)
INSTRUMENTS: Final = (
    LOGIN_STARTS,
    LOGINS,
    REFRESHES,
    STORE_OUTAGES,
    JWKS_FETCHES,
    LOCK_WAIT,
    CALL_DURATION,
)
ATTRIBUTES: Final = (
    HTTP_METHOD,
    HTTP_STATUS,
    SERVER_ADDRESS,
    SERVER_PORT,
    URL_TEMPLATE,
    ERROR_TYPE,
    CALL,
    ATTEMPT,
    RETRY,
    LOGIN_STEP,
    LOGIN_OUTCOME,
    LOGIN_FAILURE,
    REFRESH_OUTCOME,
    REFRESH_ATTEMPTS,
    LOGOUT_ENDED,
    TENANT_ID,
    STORE_OPERATION,
    JWKS_OUTCOME,
    LOCK_PURPOSE,
    LOCK_ACQUIRED,
)

#: ``wristband.refresh.outcome`` values.
REFRESHED: Final = "refreshed"
REFRESHED_ELSEWHERE: Final = "refreshed_elsewhere"
ENDED: Final = "ended"
KEPT_THROUGH_OUTAGE: Final = "kept_through_outage"
SESSION_GONE: Final = "session_gone"
STORE_UNAVAILABLE: Final = "store_unavailable"
FAILED: Final = "error"
REFRESH_OUTCOMES: Final = (
    REFRESHED,
    REFRESHED_ELSEWHERE,
    ENDED,
    KEPT_THROUGH_OUTAGE,
    SESSION_GONE,
    STORE_UNAVAILABLE,
    FAILED,
)
#: The other attributes' values (the login's come from ``flows.callback.CallbackResult``,
#: the store operations from the functions that count them).
LOGIN_STEPS: Final = ("authorize", "tenant_discovery", "not_logged_in")
LOGIN_OUTCOMES: Final = ("completed", "restart", "not_logged_in", "error")
STORE_OPERATIONS: Final = ("session", "login", "logout", "retried_write")
JWKS_OUTCOMES: Final = ("fetched", "failed")
