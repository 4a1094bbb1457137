"""The exceptions this app raises at run time; all derive from ``WristbandError``.

Two others exist and never leave the package: ``store.sealing.TokenDecryptionError`` (a
stored token no current key opens: read as "no session") and
``wristband.jwks.UnusableJwtError`` (a JWT that cannot even be checked: turned into
``InvalidIdTokenError`` or ``InvalidAccessTokenError`` where it is caught).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = [
    "RETRY_AFTER_SECONDS",
    "InvalidAccessTokenError",
    "InvalidGrantError",
    "InvalidIdTokenError",
    "InvalidResponseError",
    "MaxAgeExceededError",
    "SessionEndedError",
    "StoreUnavailableError",
    "UnknownKeyIdTokenError",
    "WristbandError",
    "WristbandTimeoutError",
    "WristbandUnavailableError",
]

#: Seconds a 503 answer asks the client to wait (``Retry-After``).
RETRY_AFTER_SECONDS = 5


class WristbandError(Exception):
    """An error of Wristband authentication: reported by or about Wristband, or the session
    store it relies on.

    ``error`` is a short machine-readable code (OAuth style, e.g. ``invalid_grant``);
    ``error_description`` is human-readable and never contains a token or secret.

    Like Django REST framework's ``APIException``, each class carries its HTTP meaning, which
    ``responses.error_response`` (and the DRF and django-ninja adapters) render: the
    ``status_code``; the ``public_error`` and ``public_description`` a client is shown (each
    ``None``: the exception's own; a ``public_description`` is translated into the active
    language, the ``error`` code never is); the ``www_authenticate`` challenge and ``retry_after``
    seconds, when the answer has them. By default: 502, Wristband answered in a way this app
    cannot use.
    """

    retryable = False
    status_code = 502
    public_error: str | None = None
    public_description: str | Promise | None = None
    www_authenticate: str | None = None
    retry_after: int | None = None

    def __init__(self, error: str, error_description: str = "", *, status: int | None = None):
        self.error = error
        self.error_description = error_description
        self.status = status
        super().__init__(f"{error}: {error_description}" if error_description else error)

    @property
    def shown_error(self) -> str:
        """Return the ``error`` code a client is shown."""
        return self.public_error or self.error

    @property
    def shown_description(self) -> str:
        """Return the ``error_description`` a client is shown, in the active language when it
        is this class's ``public_description``."""
        return str(self.public_description or self.error_description)


class InvalidGrantError(WristbandError):
    """The code or refresh token was rejected (expired, reused, revoked or rotated away)."""

    status_code = 400


class WristbandUnavailableError(WristbandError):
    """Wristband could not answer: a 5xx, a refused or dropped connection, or a timeout.
    Answered 503 with ``Retry-After``: retry later, nothing is proven bad."""

    retryable = True
    status_code = 503
    public_error = "wristband_unavailable"
    public_description = _("Authentication is temporarily unavailable; try again shortly.")
    retry_after = RETRY_AFTER_SECONDS


class WristbandTimeoutError(WristbandUnavailableError):
    """No answer in time. ``request_sent`` is True for a read timeout: Wristband may have acted."""

    def __init__(self, error_description: str, *, request_sent: bool):
        self.request_sent = request_sent
        super().__init__("timeout", error_description)


class InvalidResponseError(WristbandError):
    """Wristband answered 2xx with a body this app cannot use (not JSON, missing fields...)."""


class InvalidIdTokenError(WristbandError):
    """The ID token failed validation (signature, issuer, audience, expiry or nonce)."""

    def __init__(self, error_description: str):
        super().__init__("invalid_id_token", error_description)


class UnknownKeyIdTokenError(InvalidIdTokenError):
    """An ID token signed with a key not (yet) known here: it cannot be checked, which is not
    proof that it is forged (Wristband may have rotated its key moments ago)."""


class MaxAgeExceededError(WristbandError):
    """A login that asked for ``max_age`` got an ID token whose ``auth_time`` is older, or
    none (OpenID Connect Core 3.1.2.1: ``auth_time`` is then required)."""

    status_code = 400

    def __init__(self, error_description: str):
        super().__init__("max_age_exceeded", error_description)


class InvalidAccessTokenError(WristbandError):
    """The access token failed validation: 401 ``invalid_token`` with RFC 6750's challenge.
    Its description (logged) never contains the token; a client is shown a generic one."""

    status_code = 401
    public_description = _("The access token is invalid or expired.")
    www_authenticate = 'Bearer error="invalid_token"'

    def __init__(self, error_description: str):
        super().__init__("invalid_token", error_description)


class SessionEndedError(WristbandError):
    """There is no Wristband session under this key (any more): the user logs in again.
    (When a refresh that cannot succeed ended it just now, ``refresh_failed`` was sent.)"""

    status_code = 401

    def __init__(
        self, error_description: str = "there is no Wristband session under this key"
    ) -> None:
        super().__init__("session_ended", error_description)


class StoreUnavailableError(WristbandError):
    """The session store or the lock cache did not answer: a 503, the user is still logged in
    (never a 401, which would send a front end to log the user out)."""

    retryable = True
    status_code = 503
    public_error = "session_store_unavailable"
    public_description = _("Sessions are temporarily unavailable; try again shortly.")
    retry_after = RETRY_AFTER_SECONDS

    def __init__(self, error_description: str = ""):
        super().__init__("session_store_unavailable", error_description)
