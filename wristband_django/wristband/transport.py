"""The ``requests`` adapter through which every call to Wristband goes (``DeadlineAdapter``):
its connections bound every socket operation by ``wristband_django.deadlines.deadline()``.

Inside ``with tracking_delivery() as delivery:`` the same connections say whether a request
began to leave for Wristband (``delivery.sent``): they connect first (the TCP connection, a
proxy's tunnel, the TLS handshake), then note it, then send the first byte. A failure while
``delivery.sent`` is False cannot have reached Wristband; after it, Wristband may have
received the request and acted on it.
"""

from __future__ import annotations

import http.client
import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.poolmanager import PoolManager

from wristband_django.deadlines import remaining


@dataclass
class Delivery:
    """Whether a request made inside ``tracking_delivery()`` began to leave for Wristband."""

    sent: bool = False


_delivery: ContextVar[Delivery | None] = ContextVar("wristband_delivery", default=None)


class DeadlineExceeded(socket.timeout):
    """The current deadline passed during network I/O (a ``socket.timeout``/``TimeoutError``,
    so urllib3 and requests report it as a timeout)."""


@contextmanager
def tracking_delivery() -> Iterator[Delivery]:
    """Yield a ``Delivery`` that tells whether a request made inside was sent.

    Its ``sent`` becomes True once the request has been connected and its first byte is
    about to be sent.
    """
    delivery = Delivery()
    token = _delivery.set(delivery)
    try:
        yield delivery
    finally:
        _delivery.reset(token)


#: A socket's timeout is set again only once it exceeds the time left by more than this:
#: each ``settimeout`` is a system call that lets other threads take the GIL, and a read
#: of a response in many chunks would otherwise make one per chunk.
TIMEOUT_SLACK_SECONDS = 0.05


def _bound_timeout(sock: Any, base: float | None) -> bool:
    """Bound ``sock``'s timeout by ``min(base, time left)`` (within ``TIMEOUT_SLACK_SECONDS``);
    raise if the deadline has passed.

    Return whether a deadline applies. Without one, leave the socket as urllib3 set it.
    """
    left = remaining()
    if left is None:
        return False
    if left <= 0:
        raise DeadlineExceeded("the Wristband call deadline has passed")
    bound = left if base is None else min(base, left)
    current = sock.gettimeout()
    if current is None or current > bound + TIMEOUT_SLACK_SECONDS:
        sock.settimeout(bound)
    return True


class _DeadlineReader(io.RawIOBase):
    """Raw reader over a socket's own unbuffered makefile (which keeps the socket open while
    the response is read, as http.client expects), bounding every read by the deadline."""

    def __init__(self, sock: Any) -> None:
        super().__init__()
        self._sock = sock
        self._base = sock.gettimeout()  # what urllib3 set for this response
        self._bounded = False
        self._raw = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._bounded |= _bound_timeout(self._sock, self._base)
        result: int | None = self._raw.readinto(buffer)
        return result

    def fileno(self) -> int:
        return int(self._raw.fileno())

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._bounded and self._sock.gettimeout() != self._base:  # urllib3's, again
                self._sock.settimeout(self._base)
        except OSError:
            pass
        finally:
            self._raw.close()
            super().close()


class _SocketView:
    """What ``http.client.HTTPResponse`` needs of a socket: ``makefile``."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock))


class DeadlineHTTPResponse(http.client.HTTPResponse):
    """An http.client response whose every socket read honours the current deadline."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(_SocketView(sock), *args, **kwargs)  # type: ignore[arg-type]


def _bound_send(conn: HTTPConnection) -> None:
    """Bound sending by the deadline too, since a reused connection keeps its old timeout."""
    if conn.sock is not None:
        _bound_timeout(conn.sock, conn.sock.gettimeout())


def _connect_then_note(conn: HTTPConnection) -> None:
    """Connect ``conn`` if it is not connected yet, then note the request as sent.

    http.client would connect lazily, while sending; connecting first makes every failure to
    reach Wristband happen before the request is noted as sent.
    """
    if conn.sock is None:
        conn.connect()
    delivery = _delivery.get()
    if delivery is not None:
        delivery.sent = True


class DeadlineHTTPConnection(HTTPConnection):
    """A connection that connects (TCP, a proxy's tunnel, TLS) before it notes the request as
    sent, and bounds every send and read by the deadline."""

    response_class = DeadlineHTTPResponse

    def request(self, *args: Any, **kwargs: Any) -> None:
        _connect_then_note(self)
        super().request(*args, **kwargs)

    def send(self, data: Any) -> None:
        _bound_send(self)
        super().send(data)


class DeadlineHTTPSConnection(DeadlineHTTPConnection, HTTPSConnection):
    """``DeadlineHTTPConnection``'s behaviour over TLS (urllib3's ``HTTPSConnection``)."""


class DeadlineHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = DeadlineHTTPConnection


class DeadlineHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = DeadlineHTTPSConnection


_POOLS = {
    "http": (HTTPConnectionPool, DeadlineHTTPConnectionPool),
    "https": (HTTPSConnectionPool, DeadlineHTTPSConnectionPool),
}


def _use_deadline_pools(manager: PoolManager) -> None:
    """Swap urllib3's default pools for ours (others, e.g. SOCKS pools, are left alone)."""
    classes = dict(manager.pool_classes_by_scheme)
    for scheme, (default, ours) in _POOLS.items():
        if classes.get(scheme) is default:
            classes[scheme] = ours
    manager.pool_classes_by_scheme = classes


class DeadlineAdapter(HTTPAdapter):
    """A ``requests`` adapter whose connections honour ``deadline()``."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_deadline_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _use_deadline_pools(manager)
        return manager
