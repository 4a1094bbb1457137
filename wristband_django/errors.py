"""The exceptions this app raises at run time; all derive from ``WristbandError``."""

from __future__ import annotations


class WristbandError(Exception):
    """An error reported by, or about talking to, Wristband.

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
