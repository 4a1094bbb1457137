"""Tokens outside a request: a Celery task, a management command or a thread that was handed
a session key (``request.session.session_key``).

```python
from wristband_django.sessions import SessionEndedError, access_token

@shared_task
def sync_invoices(session_key: str) -> None:
    try:
        token = access_token(session_key)  # refreshed first if it has expired
    except SessionEndedError:
        return  # the user logged out, or the session ended: nothing to do for them
    ...  # call your API with Authorization: Bearer <token>
```

A refresh here is the middleware's: the same per-session lock (a request and a worker that
refresh one session at the same moment make one call to Wristband), the same newest-tokens
record (the browser's next request uses the tokens a worker got, and the reverse), the same
retries and the same rules for a refresh that cannot succeed (``invalid_grant`` ends the
session). Sessions are read through the project's ``SESSION_ENGINE``, which must keep them
server-side (cache, cached_db, db; not signed_cookies), in a store the workers share.

Errors, all ``WristbandError``:

- ``SessionEndedError``: no session under this key (never, logged out, expired, ended by
  the admin or by a refresh that cannot succeed): the user has to log in again.
- ``WristbandUnavailableError``: Wristband did not answer, and
  ``keep_session_when_wristband_unavailable`` kept the session: try again later.
- ``StoreUnavailableError``: the session store or the lock cache did not answer; nothing
  was ended.

Signals are sent as in a request, with ``request=None``.

Offboarding: ``end_sessions(user_id=...)``, ``end_sessions(tenant_id=...)`` or both (that user
in that tenant) ends every live session found through the admin's ``LoginSession`` rows,
each as ``end_session`` does, and returns how many ended::

    from wristband_django.sessions import end_sessions

    end_sessions(user_id="usr_123")  # the person left the customer
    end_sessions(tenant_id="ten_456")  # the customer was offboarded
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from wristband_django import signals
from wristband_django.conf import get_config
from wristband_django.errors import SessionEndedError
from wristband_django.flows import end_session as end_session_flow
from wristband_django.flows.refresh import fresh_session_by_key
from wristband_django.store.engines import SIGNED_COOKIES_ENGINE
from wristband_django.store.stored_session import StoredSession
from wristband_django.types import WristbandSession

__all__ = ["SessionEndedError", "access_token", "end_session", "end_sessions", "get_session"]


def _checked(session_key: str) -> bool:
    """Tell whether ``session_key`` can name a session.

    Raise ``TypeError`` for a key that is no string, and ``ImproperlyConfigured`` when the
    sessions live only in the browser's cookie (``signed_cookies``)."""
    if not isinstance(session_key, str):
        raise TypeError(f"session_key must be a str, not {type(session_key).__name__}")
    if settings.SESSION_ENGINE == SIGNED_COOKIES_ENGINE:
        raise ImproperlyConfigured(
            "wristband_django.sessions needs sessions kept server-side: SESSION_ENGINE is "
            "signed_cookies, whose sessions live only in the browser's cookie. Use the cache, "
            "cached_db or db engine."
        )
    return StoredSession.is_usable_key(session_key)


def get_session(session_key: str) -> WristbandSession | None:
    """Return the session stored under ``session_key``, with a valid access token.

    The access token is refreshed first if it has expired. Return ``None`` when there is no
    such session (any more).

    Raises ``WristbandUnavailableError`` and ``StoreUnavailableError`` (see the module).
    """
    if not _checked(session_key):
        return None
    return fresh_session_by_key(get_config(), session_key)


def access_token(session_key: str) -> str:
    """Return a valid access token of the session stored under ``session_key``.

    The token is refreshed first if it has expired. Raise ``SessionEndedError`` when there
    is no such session (any more); ``WristbandUnavailableError`` and
    ``StoreUnavailableError`` as the module says."""
    wristband_session = get_session(session_key)
    if wristband_session is None:
        raise SessionEndedError()
    return wristband_session.access_token


def end_session(session_key: str) -> None:
    """Log the session stored under ``session_key`` out, as the Logout endpoint does without
    the redirect to Wristband: the store entry is deleted (the browser's next request is
    anonymous, 401 on protected paths) and its newest refresh token revoked at Wristband.
    A refresh in flight finishes first. Nothing to end is not an error; ``logged_out`` is
    sent with ``request=None``.

    Raises ``StoreUnavailableError``, having ended nothing, when the store does not answer.
    """
    if not _checked(session_key):
        return
    ended = end_session_flow.end_session(get_config(), session_key)
    if ended is not None:
        signals.logged_out.send(WristbandSession, request=None, user_id=ended.user_id)


def end_sessions(*, user_id: str | None = None, tenant_id: str | None = None) -> int:
    """End every live session of the user ``user_id``, of the tenant ``tenant_id``, or, with
    both, of that user in that tenant; return how many ended.

    The sessions are found through the admin's ``LoginSession`` rows (``track_sessions``),
    read in batches. Each ends as ``end_session`` ends one: a refresh in flight finishes
    first, the store entry and the row are deleted (that browser's next request is
    anonymous, 401 on protected paths), its newest refresh token is revoked at Wristband,
    and ``logged_out`` is sent (``request=None``); then ``sessions_ended_for`` once. Only
    sessions the store still held count: a row whose session is already gone is removed.
    When Wristband is unavailable the sessions end all the same; their refresh tokens then
    stay valid at Wristband until they expire (logged at WARNING). New logins are not
    prevented: deactivate the user (or the tenant) in Wristband first.

    Raises ``ValueError`` without a user id or a tenant id, ``TypeError`` for one that is no
    string, ``ImproperlyConfigured`` when the rows are off (``track_sessions``) or
    ``SESSION_ENGINE`` is ``signed_cookies``, and ``StoreUnavailableError`` when the store or
    the database stops answering (its ``ended`` attribute says how many had ended before;
    calling again ends the rest).
    """
    ended = end_session_flow.end_sessions_of(get_config(), user_id=user_id, tenant_id=tenant_id)
    return ended.count
