"""The store's one face: ``StoredSession(session_key)``, everything kept for one session.

Like Django's ``SessionBase`` (``load``, ``save``, ``delete``), it hides where each piece
lives and how it is keyed: the session itself, read through the project's ``SESSION_ENGINE``
so that an outage raises instead of reading as "no session" (``store.access``); its refresh
lock (``store.locks``); the newest tokens a refresh published beside it
(``store.newest_tokens``); the refresh back-off (``store.refresh_backoff``); and the record of
a refresh token presented with no known outcome (``store.unanswered_refreshes``). The flows
call this and never see a cache key; nothing else outside the store imports those modules.

The request's own session (``request.session``, which ``SessionMiddleware`` saves) has the
functions below the class: read it strictly, keep its cookie through an outage, and put the
newest tokens into it before it is saved.

A store that does not answer raises one of ``STORE_ERRORS``, as the modules behind it do.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.http import HttpRequest

from wristband_django.errors import StoreUnavailableError
from wristband_django.store import access, newest_tokens, refresh_backoff, session_entry
from wristband_django.store import unanswered_refreshes as unanswered
from wristband_django.store.access import keep_session_cookie
from wristband_django.store.locks import RELEASE_MARGIN_SECONDS, session_lock
from wristband_django.store.outages import STORE_ERRORS, retry_until_answered
from wristband_django.types import WristbandSession

__all__ = [
    "STORE_ERRORS",
    "StoredSession",
    "keep_session_cookie",
    "put_newest_tokens",
    "read_request_session",
]


class StoredSession:
    """What the store keeps for the session ``session_key``, read only when asked.

    One object per key and task, like Django's ``SessionStore``: ``load()`` reads the session
    and keeps Django's session object in ``session`` for the ``keep()``, ``save()`` or
    ``delete()`` that follows.
    """

    def __init__(self, session_key: str) -> None:
        self.session_key = session_key
        #: Django's session object as last loaded (and saved); ``None`` before ``load()``.
        self.session: SessionBase | None = None
        self._locked_until = math.inf

    @staticmethod
    def is_usable_key(session_key: str) -> bool:
        """Return whether ``session_key`` can name a session of the project's engine; no
        store is asked."""
        return access.is_usable_key(session_key)

    @contextmanager
    def lock(self, *, ttl: float, wait: float, release_retry: float = 0.0) -> Iterator[bool]:
        """Hold the session's lock, the one a refresh, an end and a roll take, across
        processes; yield ``False`` if it could not be had within ``wait`` seconds.

        ``ttl`` bounds how long a crashed holder can keep it; a release the store does not
        answer is retried for up to ``release_retry`` seconds (see ``store.locks``).
        """
        with session_lock(
            self.session_key, ttl=ttl, wait=wait, release_retry=release_retry
        ) as acquired:
            self._locked_until = time.monotonic() + ttl - RELEASE_MARGIN_SECONDS
            try:
                yield acquired
            finally:
                self._locked_until = math.inf

    def load(self, *, newest: bool = False) -> WristbandSession | None:
        """Read the session from the store now and return its Wristband entry, or ``None``
        when there is no session or it holds no Wristband login.

        With ``newest``, the entry carries the newest tokens published for the session when
        they are newer than its own (a refresh elsewhere stored them after this copy was
        written). An unreachable store raises one of ``STORE_ERRORS``, never "no session".
        """
        self.session = access.load_stored_session(self.session_key)
        entry = session_entry.load(self.session)
        if entry is not None and newest:
            entry = newest_tokens.newest(self.session_key, entry)
        return entry

    def keep(self, entry: WristbandSession, *, retry_for: float) -> bool:
        """Save ``entry`` in the loaded session, then publish its tokens as the newest
        (waiting for a replica, where there is one), and return ``True``.

        A store that does not answer (a Redis failover, a restart) is retried for up to
        ``retry_for`` seconds, and never past the expiry of the lock held, before the error
        goes up. Return ``False``, having published nothing, when the session is no longer in
        the store (its database row expired meanwhile).
        """
        session = self._loaded()
        until = min(time.monotonic() + retry_for, self._locked_until)
        session_entry.store(session, entry)
        try:
            retry_until_answered(session.save, until=until, what="store a refresh's session")
        except UpdateError:
            return False
        retry_until_answered(
            lambda: newest_tokens.publish(self.session_key, entry),
            until=until,
            what="publish a refresh's tokens",
        )
        return True

    def save(self, **changes: Any) -> SessionBase | None:
        """Save the loaded session with ``changes`` and return Django's session object, or
        ``None`` when it is no longer in the store (its database row expired meanwhile)."""
        session = self._loaded()
        session.update(changes)
        try:
            session.save()
        except UpdateError:
            return None
        return session

    def delete(self) -> WristbandSession | None:
        """Delete the session and its newest-tokens record, and return the entry it held,
        with the newest tokens (``None`` if it held none).

        Raise ``StoreUnavailableError`` when the session is still there afterwards, and one
        of ``STORE_ERRORS`` when the store does not answer.
        """
        entry = self.load(newest=True)
        session = self._loaded()
        session.delete(self.session_key)
        newest_tokens.forget(self.session_key)
        if session.exists(self.session_key):
            raise StoreUnavailableError("the session is still in the store after its deletion")
        return entry

    def is_backing_off(self) -> bool:
        """Return whether a refresh of this session found Wristband unavailable so recently
        that the next one must wait."""
        return refresh_backoff.is_backing_off(self.session_key)

    def back_off(self, seconds: float) -> None:
        """Let no refresh of this session call Wristband for ``seconds``, in any process."""
        refresh_backoff.back_off(self.session_key, seconds)

    def record_presented(self, entry: WristbandSession) -> None:
        """Record that ``entry``'s refresh token is about to be presented to Wristband."""
        unanswered.record(self.session_key, entry)

    def seconds_since_presented(self, entry: WristbandSession) -> float | None:
        """Return the seconds since ``entry``'s refresh token was presented with no known
        outcome, or ``None`` when it was not (or its outcome is known)."""
        return unanswered.seconds_since_presented(self.session_key, entry)

    def forget_presented(self) -> None:
        """Forget the presented refresh token: it was not exchanged, or the session is over."""
        unanswered.forget(self.session_key)

    def _loaded(self) -> SessionBase:
        if self.session is None:
            raise RuntimeError("StoredSession.load() must come first")
        return self.session


def read_request_session(request: HttpRequest) -> WristbandSession | None:
    """Read the request's session strictly (an unreachable cache raises one of
    ``STORE_ERRORS`` instead of reading as empty) and return its Wristband entry, if any."""
    access.load_session_strictly(request)
    return session_entry.load(request.session)


def put_newest_tokens(session: SessionBase) -> None:
    """Put the newest tokens published for ``session`` into it, when its own are older: a
    session about to be saved must never write tokens a refresh has replaced."""
    session_key = session.session_key
    entry = session_entry.load(session) if session_key is not None else None
    if entry is None or session_key is None:
        return
    newest = newest_tokens.newest(session_key, entry)
    if newest is not entry:
        session_entry.store(session, newest)
