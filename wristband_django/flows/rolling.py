"""Rolling sessions: renew a Wristband session's expiry at most once per
``session_rolling_interval`` seconds, not on every request.

Django's ``SESSION_SAVE_EVERY_REQUEST`` gives a rolling expiry by saving the session after
every request: a store write and a ``Set-Cookie`` each time. Here the session keeps the time
it was last saved through the middleware (``EXTENDED_AT``, epoch seconds). After the view,
when that is ``session_rolling_interval`` seconds ago or more, the session is saved once
more, which renews its expiry in the store, and the session cookie is sent again with a
fresh expiry. The requests in between cost nothing more than a look at that timestamp.

Only sessions holding a Wristband login roll, and a rolled save never brings back a session
that ended: it is made under the session's lock (the one logout, the admin and a failing
refresh take to end it), from the session read again from the store there, and a session
gone from the store stays gone. A session the request ends (logout) has no key any more and
is left alone. A session the request saves anyway (the view changed it) only gets the new
timestamp, at no extra write.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponseBase

from wristband_django.conf import get_config
from wristband_django.flows.session_cookie import send_session_cookie
from wristband_django.store import session_entry
from wristband_django.store.stored_session import STORE_ERRORS, StoredSession

logger = logging.getLogger(__name__)

#: The session key holding when the session was last saved through the middleware.
EXTENDED_AT = "_wristband_extended_at"


def roll_session(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Push the session's expiry back when it is due, and tell whether this saved the session.

    This runs after the view, before ``SessionMiddleware`` saves; a session this saves is a
    write of its own."""
    interval = get_config().session_rolling_interval
    if interval is None or settings.SESSION_SAVE_EVERY_REQUEST:
        return False  # off, or Django saves every session after every request anyway
    session: SessionBase | None = getattr(request, "session", None)
    session_key = session.session_key if session is not None else None
    if session is None or session_key is None or not session.accessed:
        return False  # no session, one ended in this request, or one this request never read
    if response.status_code >= 500:
        return False  # SessionMiddleware does not save after a server error either
    now = int(time.time())
    if session.modified:  # saved anyway by SessionMiddleware, which renews its expiry
        if session_entry.SESSION_KEY in session:
            session[EXTENDED_AT] = now
        return False
    if not is_due(session.get(EXTENDED_AT), now, interval):
        return False
    if session_entry.load(session) is None:
        return False  # not a Wristband login
    return _extend(request, response, session_key, now)


def stamp(session: SessionBase) -> None:
    """Mark ``session`` as extended now, when it is about to be saved anyway (a login)."""
    if get_config().session_rolling_interval is not None:
        session[EXTENDED_AT] = int(time.time())


def is_due(extended_at: object, now: int, interval: int) -> bool:
    """Tell whether a session last extended at ``extended_at`` should be extended at ``now``.

    No timestamp (a login from before the setting, or a session saved elsewhere) is due."""
    if isinstance(extended_at, bool) or not isinstance(extended_at, int):
        return True
    return now - extended_at >= interval


def _extend(request: HttpRequest, response: HttpResponseBase, session_key: str, now: int) -> bool:
    """Save the session as the store holds it now, with the new timestamp, under its lock;
    then send the cookie again. Nothing is written if the session ended meanwhile."""
    store = StoredSession(session_key)
    try:
        # No waiting: the holder (a refresh, a logout) saves or ends the session itself,
        # and a later request rolls it if it is still there.
        with store.lock(ttl=get_config().refresh_lock_timeout, wait=0) as acquired:
            if not acquired:
                return False
            if store.load() is None:
                return False  # ended meanwhile (logout, the admin, a failed refresh)
            stored = store.save(**{EXTENDED_AT: now})
            if stored is None:
                return False  # the database row went away meanwhile (it expired)
    except STORE_ERRORS as exc:
        logger.warning("Could not extend the session's expiry (%s)", type(exc).__name__)
        return False
    # Saved: SessionMiddleware must not save it again (outside the lock), and whatever
    # changes it after this (messages, CSRF) starts from what the store holds.
    stored.modified = False
    request.session = stored
    send_session_cookie(response, stored)
    return True
