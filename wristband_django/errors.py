"""The exceptions this app raises at run time; all derive from ``WristbandError``.

Two others exist and never leave the package: ``store.sealing.TokenDecryptionError`` (a
stored token no current key opens: read as "no session") and
``wristband.jwks.UnusableJwtError`` (a JWT that cannot even be checked: turned into
``InvalidIdTokenError`` or ``InvalidAccessTokenError`` where it is caught).
"""

from __future__ import annotations


class WristbandError(Exception):
    """An error of Wristband authentication: reported by or about Wristband, or the session
    store it relies on.

    ``error`` is a short machine-readable code (OAuth style, e.g. ``invalid_grant``);
    ``error_description`` is human-readable and never contains a token or secret.
    """

    retryable = False

    def __init__(self, error: str, error_description: str = "", *, status: int | None = None):
        self.error = error
        self.error_description = error_description
        self.status = status
        super().__init__(f"{error}: {error_description}" if error_description else error)


class InvalidGrantError(WristbandError):
    """The code or refresh token was rejected (expired, reused, revoked or rotated away)."""


class WristbandUnavailableError(WristbandError):
    """Wristband could not answer: a 5xx, a refused or dropped connection, or a timeout."""

    retryable = True


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


class StoreUnavailableError(WristbandError):
    """The session store or the lock cache did not answer: a 503, the user is still logged in
    (never a 401, which would send a front end to log the user out)."""

    retryable = True

    def __init__(self, error_description: str = ""):
        super().__init__("session_store_unavailable", error_description)
