"""Where the auth classes of ``contrib.outbound`` get the access token they send.

A ``TokenSource`` gives the current token (``token()``) and, after the downstream API
refused one with a 401, the token to try once more with (``renew(rejected)``), or ``None``
when there is none that could do better. Three are shipped:

- ``RequestTokens``: the session of a request (``request.wristband``), for a view calling
  an API on behalf of the logged-in user;
- ``SessionKeyTokens``: a session by its key (``request.session.session_key``), for a
  background job working for a user (``wristband_django.sessions``);
- ``MachineTokens``: a ``MachineTokenProvider``, for your backend calling on its own behalf.

A session's renewal is the middleware's refresh (``flows.refresh``) forced for the refused
token: under the session's lock, once for all the callers that got a 401 for it, and not at
all when another refresh has replaced that token meanwhile (its new token is used). A
refresh that cannot succeed ends the session as it would anywhere. A machine token's
renewal drops the cached token, if it is still the refused one, and gets a new one.
Nothing here logs a token.
"""

from __future__ import annotations

import logging
import secrets
from abc import ABC, abstractmethod
from typing import cast
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.http import HttpRequest

from wristband_django import sessions
from wristband_django.conf import get_config
from wristband_django.errors import SessionEndedError
from wristband_django.flows.current_session import resolve_wristband_session
from wristband_django.flows.refresh import fresh_session, fresh_session_by_key
from wristband_django.m2m import MachineTokenProvider
from wristband_django.types import WristbandRequest, WristbandSession

__all__ = ["MachineTokens", "RequestTokens", "SessionKeyTokens", "TokenSource"]

#: What the auth classes log about a 401 (the API's host only: a URL may hold secrets).
_RETRYING = "%s answered 401; retrying once with a renewed access token"
_NO_RETRY = "%s answered 401; no other access token to retry with"
_REFUSED_AGAIN = "%s answered 401 to the renewed access token too; check what it accepts"

logger = logging.getLogger(__name__)


def _same(token: str | None, other: str) -> bool:
    """Tell whether ``token`` is ``other`` (in constant time: these are secrets)."""
    return token is not None and secrets.compare_digest(token.encode(), other.encode())


class TokenSource(ABC):
    """The access tokens an auth class sends: the current one, and a renewal after a 401."""

    #: Whether the async methods run the sync ones in the thread that runs Django's sync
    #: code (``sync_to_async``'s thread-sensitive mode, right for sessions in a database)
    #: rather than in a thread of their own.
    thread_sensitive: bool = True

    @abstractmethod
    def token(self) -> str:
        """Return the access token to send now (refreshed first if it has expired)."""

    @abstractmethod
    def renew(self, rejected: str) -> str | None:
        """Return the token to retry with, now that the API refused ``rejected`` with a 401;
        ``None`` when there is no other token to try (the 401 then stands)."""

    async def atoken(self) -> str:
        """Return ``token()`` for async code."""
        return await sync_to_async(self.token, thread_sensitive=self.thread_sensitive)()

    async def arenew(self, rejected: str) -> str | None:
        """Return ``renew(rejected)`` for async code."""
        return await sync_to_async(self.renew, thread_sensitive=self.thread_sensitive)(rejected)


class RequestTokens(TokenSource):
    """The access token of ``request``'s Wristband session (``request.wristband``).

    ``token()`` raises ``SessionEndedError`` when the request has no session (anonymous, or
    authenticated with a bearer token), ``StoreUnavailableError`` or
    ``WristbandUnavailableError`` as the middleware would. A renewal updates
    ``request.wristband``, and the request's session is saved with the new tokens.
    """

    def __init__(self, request: HttpRequest) -> None:
        self.request = cast(WristbandRequest, request)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.request!r})"

    def token(self) -> str:
        entry: WristbandSession | None = getattr(self.request, "wristband", None)
        if entry is None:  # without the middleware, or with it and no session
            entry = resolve_wristband_session(self.request)
        if entry is not None and entry.is_expired():  # a long request outlived it
            entry = self._use(fresh_session(self.request, get_config()))
        if entry is None:
            raise SessionEndedError("this request has no Wristband session")
        return entry.access_token

    def renew(self, rejected: str) -> str | None:
        entry = self._use(fresh_session(self.request, get_config(), rejected=rejected))
        if entry is None or _same(entry.access_token, rejected):
            return None
        return entry.access_token

    def _use(self, entry: WristbandSession | None) -> WristbandSession | None:
        """Make ``entry`` the request's session from now on (``None``: it has ended)."""
        self.request.wristband = entry
        return entry


class SessionKeyTokens(TokenSource):
    """The access token of the session stored under ``session_key``, outside a request.

    ``token()`` is ``wristband_django.sessions.access_token(session_key)``, with its errors:
    ``SessionEndedError`` when there is no such session (any more), ``StoreUnavailableError``
    and ``WristbandUnavailableError``.
    """

    def __init__(self, session_key: str) -> None:
        if not isinstance(session_key, str):
            raise TypeError(f"session_key must be a str, not {type(session_key).__name__}")
        self.session_key = session_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<session key>)"  # a session key is a credential

    def token(self) -> str:
        return sessions.access_token(self.session_key)

    def renew(self, rejected: str) -> str | None:
        entry = fresh_session_by_key(get_config(), self.session_key, rejected=rejected)
        if entry is None or _same(entry.access_token, rejected):
            return None
        return entry.access_token


class MachineTokens(TokenSource):
    """The access token of a ``MachineTokenProvider`` (the ``client_credentials`` grant).

    ``token()`` is ``provider.get_token()``, with its errors. A renewal uses the token
    another caller got meanwhile if there is one; else it drops the refused token from the
    cache and requests a new one (one caller of all those sharing the cache does).
    """

    thread_sensitive = False  # the provider only uses its cache, never the database

    def __init__(self, provider: MachineTokenProvider) -> None:
        if not isinstance(provider, MachineTokenProvider):
            raise TypeError(f"provider must be a MachineTokenProvider, not {provider!r}")
        self.provider = provider

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.provider!r})"

    def token(self) -> str:
        return self.provider.get_token()

    def renew(self, rejected: str) -> str | None:
        current = self.provider.get_token()
        if not _same(current, rejected):
            return current  # replaced meanwhile
        self.provider.clear_token(rejected)
        renewed = self.provider.get_token()
        return None if _same(renewed, rejected) else renewed


def _host(url: str) -> str:
    """Return the host of ``url`` for the log (not its user info, path or query)."""
    return urlsplit(url).hostname or "(no host)"


def renewal(source: TokenSource, rejected: str, url: str) -> str | None:
    """Return ``source.renew(rejected)`` after a 401 from ``url``, saying so in the log."""
    renewed = source.renew(rejected)
    logger.info(_NO_RETRY if renewed is None else _RETRYING, _host(url))
    return renewed


async def arenewal(source: TokenSource, rejected: str, url: str) -> str | None:
    """Return ``await source.arenew(rejected)`` after a 401 from ``url``, saying so."""
    renewed = await source.arenew(rejected)
    logger.info(_NO_RETRY if renewed is None else _RETRYING, _host(url))
    return renewed


def refused_again(url: str) -> None:
    """Log that ``url`` refused the renewed token too (the caller gets that 401)."""
    logger.warning(_REFUSED_AGAIN, _host(url))
