"""A forward proxy on 127.0.0.1 that tunnels ``CONNECT`` requests, for corporate-network tests.

It records each ``CONNECT`` target it was asked for (``targets``) and the
``Proxy-Authorization`` header that came with it (``authorizations``), then either tunnels
the bytes both ways or, with ``refuse_with``, answers that status instead (what a proxy
does for a host its policy forbids, or without credentials: 403, 407). Only loopback
targets are tunnelled: it is a test double, never an open relay.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import threading
from http import HTTPStatus
from types import TracebackType

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
MAX_HEAD = 16384


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: ConnectProxy


class _Handler(socketserver.BaseRequestHandler):
    server: _Server
    request: socket.socket

    def handle(self) -> None:
        proxy = self.server.proxy
        proxy.track(self.request, open_=True)
        try:
            self._handle(proxy)
        except OSError:
            pass  # a side hung up, or the proxy is stopping
        finally:
            proxy.track(self.request, open_=False)

    def _handle(self, proxy: ConnectProxy) -> None:
        self.request.settimeout(10)
        head, rest = self._read_head()
        lines = head.decode("latin-1").split("\r\n")
        method, _, target = lines[0].partition(" ")
        target = target.rsplit(" ", 1)[0]
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        if method != "CONNECT":
            self._answer(HTTPStatus.METHOD_NOT_ALLOWED)
            return
        proxy.record(target, headers.get("proxy-authorization"))
        host, _, port = target.rpartition(":")
        if proxy.refuse_with is not None:
            self._answer(HTTPStatus(proxy.refuse_with))
            return
        if host not in LOOPBACK_HOSTS or not port.isdigit():
            self._answer(HTTPStatus.FORBIDDEN)
            return
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        except OSError:
            self._answer(HTTPStatus.BAD_GATEWAY)
            return
        proxy.track(upstream, open_=True)
        try:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            self._pipe(upstream)
        finally:
            proxy.track(upstream, open_=False)
            upstream.close()

    def _read_head(self) -> tuple[bytes, bytes]:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk or len(data) > MAX_HEAD:
                raise ConnectionAbortedError("no complete request head")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        return head, rest

    def _answer(self, status: HTTPStatus) -> None:
        self.request.sendall(
            f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )

    def _pipe(self, upstream: socket.socket) -> None:
        """Copy bytes both ways until either side closes."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.request, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, self.request)
            while True:
                for key, _ in selector.select(timeout=10):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)


class ConnectProxy:
    """``with ConnectProxy() as proxy:`` a proxy listening at ``proxy.url``."""

    def __init__(self, *, refuse_with: int | None = None) -> None:
        self.refuse_with = refuse_with
        self.targets: list[str] = []
        self.authorizations: list[str | None] = []
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the proxy first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record(self, target: str, authorization: str | None) -> None:
        with self._lock:
            self.targets.append(target)
            self.authorizations.append(authorization)

    def track(self, sock: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)

    def start(self) -> ConnectProxy:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"connect-proxy-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ConnectProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
