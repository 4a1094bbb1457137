"""``httpx`` auth for calling your own APIs with a Wristband access token (needs the
``httpx`` extra), for ``httpx.Client`` and ``httpx.AsyncClient`` alike.

    from wristband_django.contrib.outbound.httpx_auth import WristbandHttpxAuth

    auth = WristbandHttpxAuth.for_session_key(session_key)
    async with httpx.AsyncClient(auth=auth) as api:
        orders = await api.get("https://orders.internal/v1/orders")

The auth sends ``Authorization: Bearer <token>`` with the current token of a request's
session, of a session by its key, or of a ``MachineTokenProvider`` (``tokens``). When the
API answers 401 to that header, it renews the token once (a forced, single-flight refresh of
the session, or a new machine token) and sends the request again with the new one; the
answer to that retry, a second 401 included, is what the caller gets. A 401 is answered as
is when there is no other token to try (the session has ended, or has no refresh token) or
when it came from a host the header was not sent to (``httpx`` drops it on a redirect to
another origin). The request's body is read before sending, so that it can be sent again.

Timeouts: the client's or the call's (``httpx``'s default is 5 s); where they are all
``None``, ``WRISTBAND_AUTH``'s ``connect_timeout`` (connecting, and waiting for a pooled
connection) and ``read_timeout`` (each read or write). Inside
``wristband_django.deadlines.deadline()`` none is longer than the time left.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

from django.http import HttpRequest

from wristband_django.contrib.outbound.timeouts import default_timeouts, within_deadline
from wristband_django.contrib.outbound.tokens import (
    MachineTokens,
    RequestTokens,
    SessionKeyTokens,
    TokenSource,
    arenewal,
    refused_again,
    renewal,
)
from wristband_django.m2m import MachineTokenProvider

try:
    import httpx
except ImportError as exc:  # the extra is not installed
    raise ImportError(
        "wristband_django.contrib.outbound.httpx_auth needs httpx, which the httpx extra "
        'installs: pip install "wristband-django[httpx]"',
        name=exc.name,
    ) from exc

__all__ = ["WristbandHttpxAuth"]

_TIMEOUTS = ("connect", "read", "write", "pool")


class WristbandHttpxAuth(httpx.Auth):
    """``httpx`` auth: a Wristband access token from ``source``, renewed once on a 401.

    Build it with ``for_request``, ``for_session_key`` or ``for_machine``; it holds no token
    itself (each request asks ``source``), so one may serve many requests, threads and
    tasks. Getting the token may raise what ``source.token()`` raises (e.g.
    ``SessionEndedError``), and so may the renewal after a 401.
    """

    def __init__(self, source: TokenSource) -> None:
        self.source = source

    @classmethod
    def for_request(cls, request: HttpRequest) -> WristbandHttpxAuth:
        """Return the auth of ``request``'s Wristband session (the logged-in user)."""
        return cls(RequestTokens(request))

    @classmethod
    def for_session_key(cls, session_key: str) -> WristbandHttpxAuth:
        """Return the auth of the session stored under ``session_key`` (background jobs)."""
        return cls(SessionKeyTokens(session_key))

    @classmethod
    def for_machine(cls, provider: MachineTokenProvider) -> WristbandHttpxAuth:
        """Return the auth of ``provider``'s machine-to-machine tokens."""
        return cls(MachineTokens(provider))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()  # so that a retry can send the body again
        token = self.source.token()
        response = yield _with_token(request, token)
        if not _refused(response, token):
            return
        renewed = renewal(self.source, token, str(request.url))
        if renewed is not None:
            _check_retry((yield _with_token(request, renewed)))

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        token = await self.source.atoken()
        response = yield _with_token(request, token)
        if not _refused(response, token):
            return
        renewed = await arenewal(self.source, token, str(request.url))
        if renewed is not None:
            _check_retry((yield _with_token(request, renewed)))


def _with_token(request: httpx.Request, token: str) -> httpx.Request:
    """Put ``token`` in ``request``'s header, and its timeouts within the defaults and the
    deadline; return it."""
    request.headers["Authorization"] = f"Bearer {token}"
    timeout = request.extensions.get("timeout") or {}
    if all(timeout.get(name) is None for name in _TIMEOUTS):
        connect, read = default_timeouts()
        timeout = {"connect": connect, "read": read, "write": read, "pool": connect}
    bounded = {name: within_deadline(timeout.get(name)) for name in _TIMEOUTS}
    request.extensions = {**request.extensions, "timeout": bounded}
    return request


def _refused(response: httpx.Response, token: str) -> bool:
    """Tell whether ``response`` is a 401 to ``token`` (not another host's, after a redirect
    that dropped the header)."""
    sent = response.request.headers.get("Authorization")
    return response.status_code == 401 and sent == f"Bearer {token}"


def _check_retry(response: httpx.Response) -> None:
    """Log a retry that was refused too (the caller gets that 401)."""
    if response.status_code == 401:
        refused_again(str(response.request.url))
