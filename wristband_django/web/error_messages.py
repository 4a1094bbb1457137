"""What the error page tells a person, in the active language.

An error's ``error_description`` is written for developers and logs (ours in English, or
Wristband's own words), so the page leads with a sentence chosen by the kind of failure and
translated, and shows the code and description below it as details for support. The code
links its section of the documentation's troubleshooting page (``help_url``).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wristband_django.conf.docs_links import docs_url
from wristband_django.errors import (
    MaxAgeExceededError,
    StoreUnavailableError,
    WristbandError,
    WristbandUnavailableError,
)

#: The sentence for an error code (ours or Wristband's) a person can act on.
BY_CODE: dict[str, Promise] = {
    "access_denied": _("This account may not use this site. Ask its administrators for access."),
    "invalid_state": _(
        "This login was started in another browser or tab, or too long ago. Please log in again."
    ),
    "invalid_grant": _("This login has expired. Please log in again."),
    "login_required": _("Please log in again."),
    "invalid_request": _("The login link is not valid."),
    "tenant_mismatch": _("This login belongs to another organisation's address."),
}
UNAVAILABLE = _("The login service did not answer in time. Please try again in a moment.")
STALE_LOGIN = _("This page needs a recent login. Please log in again.")
GENERIC = _("The login could not be completed.")


def user_message(error: WristbandError) -> str:
    """Return the sentence the error page leads with for ``error``, in the active language."""
    if isinstance(error, StoreUnavailableError):
        return error.shown_description
    if isinstance(error, WristbandUnavailableError):
        return str(UNAVAILABLE)
    if isinstance(error, MaxAgeExceededError):
        return str(STALE_LOGIN)
    return str(BY_CODE.get(error.error, GENERIC))


#: The troubleshooting page's section for each code the error page can show: ours, and
#: those Wristband answers with (OAuth 2.1, OpenID Connect).
HELP_BY_CODE: dict[str, str] = {
    # This app's own.
    "session_store_unavailable": docs_url("troubleshooting", "session_store_unavailable"),
    "invalid_state": docs_url("troubleshooting", "invalid_state"),
    "tenant_mismatch": docs_url("troubleshooting", "tenant_mismatch"),
    "invalid_issuer": docs_url("troubleshooting", "invalid_issuer"),
    "max_age_exceeded": docs_url("troubleshooting", "max_age_exceeded"),
    "invalid_id_token": docs_url("troubleshooting", "invalid_id_token"),
    "invalid_token_response": docs_url("troubleshooting", "invalid_token_response"),
    "invalid_userinfo": docs_url("troubleshooting", "invalid_userinfo"),
    "invalid_response": docs_url("troubleshooting", "invalid_response"),
    "invalid_jwks": docs_url("troubleshooting", "invalid_jwks"),
    "invalid_sdk_configuration": docs_url("troubleshooting", "invalid_sdk_configuration"),
    "timeout": docs_url("troubleshooting", "timeout"),
    "connection_error": docs_url("troubleshooting", "connection_error"),
    "tls_error": docs_url("troubleshooting", "tls_error"),
    "proxy_error": docs_url("troubleshooting", "proxy_error"),
    "jwks_fetch_failed": docs_url("troubleshooting", "jwks_fetch_failed"),
    "http_error": docs_url("troubleshooting", "http_error"),
    # Ours and Wristband's.
    "invalid_request": docs_url("troubleshooting", "invalid_request"),
    "access_denied": docs_url("troubleshooting", "access_denied"),
    "server_error": docs_url("troubleshooting", "server_error"),
    # Wristband's.
    "invalid_client": docs_url("troubleshooting", "invalid_client"),
    "invalid_grant": docs_url("troubleshooting", "invalid_grant"),
    "login_required": docs_url("troubleshooting", "login_required"),
    "unauthorized_client": docs_url("troubleshooting", "unauthorized_client"),
    "invalid_scope": docs_url("troubleshooting", "invalid_scope"),
    "unsupported_response_type": docs_url("troubleshooting", "unsupported_response_type"),
    "unsupported_grant_type": docs_url("troubleshooting", "unsupported_grant_type"),
    "temporarily_unavailable": docs_url("troubleshooting", "temporarily_unavailable"),
    "interaction_required": docs_url("troubleshooting", "interaction_required"),
    "consent_required": docs_url("troubleshooting", "consent_required"),
    "account_selection_required": docs_url("troubleshooting", "account_selection_required"),
}
#: Any other code (Wristband may answer with one this app does not know).
OTHER_CODE_HELP = docs_url("troubleshooting", "any-other-code")


def help_url(code: str) -> str:
    """Return the URL of the troubleshooting page's section about the error code ``code``."""
    return HELP_BY_CODE.get(code, OTHER_CODE_HELP)
