"""The refresh grant: a session's refresh token presented to Wristband, never twice without
knowing what became of it.

The retry rule: a refresh grant is sent again only after a failure that cannot have reached
Wristband (the connection refused, the host name not resolving, the proxy or the TLS
handshake failing, no connection in time: ``transport.tracking_delivery`` tells) or after a
complete 5xx answer. Once its first byte has left and no complete answer came back (a read
timeout, a connection reset, an answer trickled past the deadline, a body cut short),
Wristband may have exchanged the token: with rotation, presenting it again would revoke the
whole token family. It is then never presented again, neither here nor by any later refresh
(``StoredSession.record_presented`` records it before it is sent), and the refresh fails
with ``UnansweredRefreshError``, which ends the session. So does a complete 2xx answer that
cannot be used: Wristband carried the grant out, and its new tokens are lost.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import replace

from wristband_django.conf import AuthConfig
from wristband_django.deadlines import deadline, remaining
from wristband_django.errors import InvalidIdTokenError, UnknownKeyIdTokenError, WristbandError
from wristband_django.store.stored_session import StoredSession
from wristband_django.types import WristbandSession, now_ms
from wristband_django.types.claims import scope_names
from wristband_django.wristband.answers import TokenResponse
from wristband_django.wristband.client import WristbandClient, get_client
from wristband_django.wristband.id_tokens import validate_id_token
from wristband_django.wristband.transport import tracking_delivery

logger = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.2


class UnansweredRefreshError(WristbandError):
    """A refresh grant may have reached Wristband and no complete answer came back (or one
    that cannot be used): its refresh token may be spent, so it is never presented again and
    the session ends.
    ``error`` is the failure's own code (``timeout``, ``connection_error``...), or
    ``refresh_outcome_unknown`` when an earlier refresh left the question open."""


def _backoff(attempt: int) -> float:
    """Return the wait before retry ``attempt``: 0.2 s, 0.4 s, 0.8 s ... scaled by [0.5, 1).

    That is exponential backoff with jitter."""
    return FIRST_BACKOFF_SECONDS * 2.0 ** (attempt - 1) * (0.5 + random.random() / 2)  # noqa: S311


def refresh_tokens(
    config: AuthConfig, store: StoredSession, entry: WristbandSession
) -> WristbandSession:
    """Return ``entry`` with new tokens from Wristband, retrying what cannot have reached it.

    Failures before the request was sent and complete 5xx answers are retried with backoff,
    up to ``refresh_max_attempts`` and within ``refresh_timeout`` seconds; any other failure
    is raised at once (``UnansweredRefreshError`` when the grant may have been carried out).
    The caller holds the session's lock.
    """
    if not entry.refresh_token:
        raise WristbandError("no_refresh_token", "the session has no refresh token")
    client = get_client(config)
    with deadline(config.refresh_timeout):  # every attempt, backoff and the key fetch
        attempt = 0
        while True:
            attempt += 1
            try:
                tokens = _present(client, store, entry, entry.refresh_token)
                break
            except WristbandError as exc:
                delay = _backoff(attempt)
                last = attempt >= config.refresh_max_attempts
                if not exc.retryable or last or delay >= (remaining() or 0.0):
                    raise
                logger.info("Token refresh attempt %d failed (%s); retrying", attempt, exc.error)
                time.sleep(delay)
        _check_id_token(config, tokens.id_token, entry)
    refreshed = now_ms()
    return replace(
        entry,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token or entry.refresh_token,
        expires_at=refreshed + (tokens.expires_in - config.token_expiration_buffer) * 1000,
        refreshed_at=refreshed,
        scopes=scope_names(tokens.scope) or entry.scopes,  # none named: unchanged (RFC 6749 6)
    )


def _present(
    client: WristbandClient, store: StoredSession, entry: WristbandSession, refresh_token: str
) -> TokenResponse:
    """Send one refresh grant to Wristband and return its answer.

    The grant is recorded as presented before it can leave; the record is dropped again only
    when the failure shows that the token was not exchanged."""
    store.record_presented(entry)
    with tracking_delivery() as delivery:
        try:
            return client.refresh(refresh_token)
        except WristbandError as exc:
            failure = exc
    if delivery.sent and failure.status is None:  # sent, and no complete error answer
        logger.warning(
            "A token refresh got no usable answer (%s): its refresh token is not presented again",
            failure.error,
        )
        raise UnansweredRefreshError(failure.error, failure.error_description) from failure
    store.forget_presented()
    raise failure


def _check_id_token(config: AuthConfig, id_token: str | None, entry: WristbandSession) -> None:
    """Check a refresh's new ID token (OIDC Core 12.2: same iss, sub and aud as at login);
    the token itself is not kept (see ``store.session_entry``).

    If it cannot be checked now (Wristband's keys unavailable, or a key rotated moments ago
    whose re-fetch is rate-limited), the refresh stands: the new refresh token has already
    replaced the old one at Wristband, and dropping it would log the user out. A token that
    fails its checks still ends the session.
    """
    if not id_token:
        return
    try:
        validate_id_token(config, id_token, expected_sub=entry.user_id)
    except UnknownKeyIdTokenError:
        logger.warning("Refreshed without checking the new ID token: its key is not known yet")
    except InvalidIdTokenError:
        raise
    except WristbandError as exc:
        logger.warning(
            "Refreshed without checking the new ID token: Wristband's keys are unavailable (%s)",
            exc.error,
        )
