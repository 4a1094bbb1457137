"""Signals. The sender is always ``WristbandSession``, the class of what every signal is about
(as Django's auth signals send the user's class), so ``receiver(signal,
sender=WristbandSession)`` catches each one whichever view, middleware, DRF class or admin
action caused it. Receivers get ``sender``, ``request`` (``None`` when it happened outside a
request: ``wristband_django.sessions`` in a background job) and these keyword arguments:

``login_completed``
    ``wristband_session`` (the new ``WristbandSession``), ``custom_state`` (the login's
    custom state).
``login_failed``
    ``reason`` (one of ``LoginFailure``'s values), ``error`` (a ``WristbandError`` saying
    what happened: Wristband's ``error`` and ``error_description``, or ours), ``prompt``
    (the login's ``prompt``, e.g. ``"none"`` for a silent login; ``None`` without one or
    when the login state is unknown). Sent once per callback that logged no one in,
    whether it restarted the login, showed an error or ended as not logged in.
``tokens_refreshed``
    ``wristband_session`` (with the new tokens).
``refresh_failed``
    ``user_id``, ``error`` (the ``WristbandError``); the session has been ended.
``logged_out``
    ``user_id`` (``None`` if there was no Wristband session).
``session_ended_by_admin``
    ``user_id``, ``tenant_id``; ``request`` is the admin's.
``sessions_ended_for``
    ``user_id``, ``tenant_id`` (either may be ``None``: every session of a tenant, or of a
    user), ``count`` (how many live sessions ended, 0 included). Sent once per call that
    ends every session of a user or a tenant (``sessions.end_sessions``, the
    ``wristband_end_sessions`` command, the admin's actions, once per user or tenant, and
    the webhook view), after each ended session sent its own signal: ``logged_out``, or
    ``session_ended_by_admin`` from the admin. Not sent when the store stopped answering
    part way (the sessions ended until then have sent theirs).

``login_completed`` and ``tokens_refreshed`` also send the same object as ``session``, their
keyword in 0.1.0: deprecated, and removed in the release after the next one. Receivers
read ``wristband_session``, the name of the Wristband session in every public signature
(views' hooks, ``UserAdapter``, ``WristbandBackend.authenticate``), as Django's auth passes
``user`` everywhere.

No signal carries a token outside the ``WristbandSession`` object, whose repr hides them;
``login_failed`` carries no code, token, state or cookie value at all.
"""

from typing import Any, Final

from django.dispatch import Signal

__all__ = [
    "LOGIN_FAILURES",
    "LoginFailure",
    "logged_out",
    "login_completed",
    "login_failed",
    "refresh_failed",
    "session_ended_by_admin",
    "sessions_ended_for",
    "tokens_refreshed",
]


class _SessionSignal(Signal):
    """A signal about a Wristband session: it also sends the ``wristband_session`` argument
    as ``session``, the keyword of 0.1.0 (deprecated, removed in the release after next)."""

    def send(self, sender: Any, **named: Any) -> Any:
        """Send the signal as ``Signal.send`` does, with ``session`` beside
        ``wristband_session``."""
        if "wristband_session" in named:
            named.setdefault("session", named["wristband_session"])
        return super().send(sender, **named)


login_completed = _SessionSignal()
login_failed = Signal()
tokens_refreshed = _SessionSignal()
refresh_failed = Signal()
logged_out = Signal()
session_ended_by_admin = Signal()
sessions_ended_for = Signal()


class LoginFailure:
    """Why a callback logged no one in: the ``reason`` of ``login_failed`` and of
    ``CallbackView.login_failed()``. Plain strings, stable: log and count them."""

    #: The browser sent no login-state cookie at all (lost: a Secure cookie on plain http,
    #: another browser, cookies blocked). The login restarts.
    MISSING_LOGIN_STATE: Final = "missing_login_state"
    #: Login-state cookies came back, but none for this callback's ``state`` (tampered,
    #: expired, evicted by newer logins, a replayed callback, a retired secret). Restarts.
    LOGIN_STATE_MISMATCH: Final = "login_state_mismatch"
    #: The callback names another tenant, or arrives on another tenant's host, than its
    #: login was started for. Restarts for the login's tenant.
    TENANT_MISMATCH: Final = "tenant_mismatch"
    #: The callback's ``iss`` is another issuer's (RFC 9207 mix-up). Error page.
    ISSUER_MISMATCH: Final = "issuer_mismatch"
    #: Wristband answered ``error=login_required`` (for a ``prompt=none`` login also
    #: ``interaction_required``, ``consent_required``, ``account_selection_required``).
    #: A normal login restarts; a ``prompt=none`` one ends as not logged in.
    LOGIN_REQUIRED: Final = "login_required"
    #: Wristband answered another ``error`` (``access_denied``...). Error page.
    AUTHORIZATION_ERROR: Final = "authorization_error"
    #: The callback has neither a code nor an error. Restarts.
    MISSING_CODE: Final = "missing_code"
    #: The code exchange answered ``invalid_grant`` (a reused or expired code). Restarts.
    INVALID_GRANT: Final = "invalid_grant"
    #: The ID token failed validation (signature, issuer, audience, expiry, nonce). Error.
    INVALID_ID_TOKEN: Final = "invalid_id_token"  # noqa: S105 (a reason, not a secret)
    #: The login asked for ``max_age`` and the ID token's ``auth_time`` is older, or
    #: missing (OpenID Connect Core 3.1.2.1). Error page.
    MAX_AGE_EXCEEDED: Final = "max_age_exceeded"
    #: The token endpoint or userinfo answered in a way this app cannot use
    #: (``invalid_client``, a malformed answer, userinfo about another user). Error page.
    EXCHANGE_FAILED: Final = "exchange_failed"
    #: Wristband did not answer in time or answered 5xx. 503 page.
    WRISTBAND_UNAVAILABLE: Final = "wristband_unavailable"
    #: The session store did not answer while storing the session. 503 page.
    SESSION_STORE_UNAVAILABLE: Final = "session_store_unavailable"
    #: ``authenticate_django_user`` refused the user (e.g. inactive). 403 page.
    USER_REFUSED: Final = "user_refused"


#: Every ``LoginFailure`` reason.
LOGIN_FAILURES: Final[frozenset[str]] = frozenset(
    value for name, value in vars(LoginFailure).items() if name.isupper()
)
