"""``requests`` auth for calling your own APIs with a Wristband access token.

    from wristband_django.contrib.outbound.requests_auth import WristbandRequestsAuth, api_session

    api = api_session(WristbandRequestsAuth.for_request(request))
    orders = api.get("https://orders.internal/v1/orders")

The auth sends ``Authorization: Bearer <token>`` with the current token of a request's
session, of a session by its key, or of a ``MachineTokenProvider`` (``tokens``). When the
API answers 401 to that header, it renews the token once (a forced, single-flight refresh of
the session, or a new machine token) and sends the request again with the new one; the
answer to that retry, a second 401 included, is what the caller gets. A 401 is answered as
is when there is no other token to try (the session has ended, or has no refresh token),
when the request's body cannot be sent again (a generator), or when the header was not ours
any more (a redirect to another host, which ``requests`` sends without it).

``requests`` has no default timeout: give ``timeout=``, or use ``api_session()``, whose
calls default to ``WRISTBAND_AUTH``'s ``connect_timeout`` and ``read_timeout`` and are
bounded, every byte, by an enclosing ``wristband_django.deadlines.deadline()``.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.http import HttpRequest
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar
from requests.models import PreparedRequest, Response
from requests.utils import rewind_body

from wristband_django.contrib.outbound.timeouts import default_timeouts
from wristband_django.contrib.outbound.tokens import (
    MachineTokens,
    RequestTokens,
    SessionKeyTokens,
    TokenSource,
    refused_again,
    renewal,
)
from wristband_django.m2m import MachineTokenProvider
from wristband_django.wristband.transport import DeadlineAdapter

__all__ = ["WristbandRequestsAuth", "api_session"]

logger = logging.getLogger(__name__)


class WristbandRequestsAuth(AuthBase):
    """``requests`` auth: a Wristband access token from ``source``, renewed once on a 401.

    Build it with ``for_request``, ``for_session_key`` or ``for_machine``; it holds no token
    itself (each request asks ``source``), so one may serve many requests and threads.
    Getting the token may raise what ``source.token()`` raises (e.g. ``SessionEndedError``),
    and so may the renewal after a 401.
    """

    def __init__(self, source: TokenSource) -> None:
        self.source = source

    @classmethod
    def for_request(cls, request: HttpRequest) -> WristbandRequestsAuth:
        """Return the auth of ``request``'s Wristband session (the logged-in user)."""
        return cls(RequestTokens(request))

    @classmethod
    def for_session_key(cls, session_key: str) -> WristbandRequestsAuth:
        """Return the auth of the session stored under ``session_key`` (background jobs)."""
        return cls(SessionKeyTokens(session_key))

    @classmethod
    def for_machine(cls, provider: MachineTokenProvider) -> WristbandRequestsAuth:
        """Return the auth of ``provider``'s machine-to-machine tokens."""
        return cls(MachineTokens(provider))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"

    def __call__(self, r: PreparedRequest) -> PreparedRequest:
        token = self.source.token()
        r.headers["Authorization"] = f"Bearer {token}"
        r.register_hook("response", _RetryOn401(self.source, token))  # type: ignore[no-untyped-call]
        return r


class _RetryOn401:
    """The response hook of one request: on a 401 to our header, renew and send it again."""

    def __init__(self, source: TokenSource, token: str) -> None:
        self.source = source
        self._header = f"Bearer {token}"
        self._token = token

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"  # never the token

    def __call__(self, response: Response, **kwargs: Any) -> Response:
        sent = response.request
        if response.status_code != 401 or sent.headers.get("Authorization") != self._header:
            return response  # not refused, or not with our token (e.g. another host's 401)
        if not _can_resend(sent):
            logger.info("The API answered 401 to a request whose body cannot be sent again")
            return response
        renewed = renewal(self.source, self._token, response.url)
        if renewed is None:
            return response
        response.content  # noqa: B018 (read it, so the connection can be reused)
        response.close()
        retry = sent.copy()
        _rewind(retry)
        jar = retry._cookies  # type: ignore[attr-defined]
        extract_cookies_to_jar(jar, sent, response.raw)  # type: ignore[no-untyped-call]
        retry.prepare_cookies(jar)
        retry.headers["Authorization"] = f"Bearer {renewed}"
        answer: Response = response.connection.send(retry, **kwargs)
        answer.history.append(response)
        answer.request = retry
        if answer.status_code == 401:
            refused_again(answer.url)
        return answer


def _can_resend(request: PreparedRequest) -> bool:
    """Tell whether ``request``'s body can be sent again: none, bytes, or a seekable file."""
    body: object = request.body  # a file or an iterable too, whatever the stubs say
    if body is None or isinstance(body, (bytes, str)):
        return True
    return callable(getattr(body, "seek", None)) and isinstance(
        getattr(request, "_body_position", None), int
    )


def _rewind(request: PreparedRequest) -> None:
    """Put a file body back where it was when the request was first sent."""
    body: object = request.body
    if body is not None and not isinstance(body, (bytes, str)):
        rewind_body(request)  # _can_resend said it can


class _DefaultTimeouts(DeadlineAdapter):
    """An adapter whose calls without a timeout get ``connect_timeout`` and
    ``read_timeout``, and whose every byte is bounded by an enclosing ``deadline()``."""

    def send(  # type: ignore[override]
        self, request: PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> Response:
        if timeout is None:
            timeout = default_timeouts()
        return super().send(request, stream=stream, timeout=timeout, **kwargs)


def api_session(auth: WristbandRequestsAuth) -> requests.Session:
    """Return a ``requests.Session`` sending ``auth``, with default timeouts and deadlines.

    A call without ``timeout=`` gets ``(connect_timeout, read_timeout)`` of
    ``WRISTBAND_AUTH``; inside ``with deadline(seconds):`` the whole call (the token, the
    request, every byte of the answer, and the retry after a 401) ends in time."""
    session = requests.Session()
    session.auth = auth
    adapter = _DefaultTimeouts()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
