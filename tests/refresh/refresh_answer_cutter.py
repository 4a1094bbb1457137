"""A forward HTTP proxy on 127.0.0.1 that cuts the answers to refresh grants short, for
tests/refresh/test_refresh_single_grant.py (the app reaches it through the ``proxy_url`` setting).

Plain-http requests (absolute form: ``POST http://localhost:1234/path HTTP/1.1``) are passed
to their loopback target, one per connection, and answered with the target's answer, both
with ``Connection: close``. While ``cut_after`` is set, the answer to a refresh grant
(``grant_type=refresh_token`` in the body) is cut after ``cut_after(answer)`` bytes and the
connection closed, with a TCP reset when ``reset`` is set: Wristband received and carried
out the grant, and the app never gets its whole answer.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from types import TracebackType
from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
HEAD_END = b"\r\n\r\n"


def _read_request(sock: socket.socket) -> tuple[bytes, bytes]:
    """The request's head (without its blank line) and its body (``Content-Length`` bytes)."""
    data = b""
    while HEAD_END not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the client hung up before its request was complete")
        data += chunk
    head, _, body = data.partition(HEAD_END)
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")[1:]
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the client hung up before its request was complete")
        body += chunk
    return head, body


def _closing(head: bytes) -> bytes:
    """``head`` (a request's or an answer's) with ``Connection: close`` and no proxy headers."""
    first, *lines = head.split(b"\r\n")
    kept = [
        line
        for line in lines
        if line and not line.lower().startswith((b"connection:", b"proxy-", b"keep-alive:"))
    ]
    return b"\r\n".join([first, *kept, b"Connection: close"]) + HEAD_END


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    cutter: RefreshAnswerCutter


class _Handler(socketserver.BaseRequestHandler):
    server: _Server
    request: socket.socket

    def handle(self) -> None:
        with contextlib.suppress(OSError):
            self._handle(self.server.cutter)

    def _handle(self, cutter: RefreshAnswerCutter) -> None:
        self.request.settimeout(10)
        head, body = _read_request(self.request)
        method, target, version = head.split(b"\r\n", 1)[0].split(b" ")
        url = urlsplit(target.decode("latin-1"))
        if url.hostname not in LOOPBACK_HOSTS or url.port is None:
            self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        first = b" ".join([method, path.encode("latin-1"), version])
        rest = head.split(b"\r\n", 1)[1] if b"\r\n" in head else b""
        upstream_request = _closing(first + b"\r\n" + rest) + body
        with socket.create_connection(("127.0.0.1", url.port), timeout=10) as upstream:
            upstream.sendall(upstream_request)
            answer = b"".join(iter(lambda: upstream.recv(65536), b""))
        answer_head, _, answer_body = answer.partition(HEAD_END)
        answer = _closing(answer_head) + answer_body
        cut_after = cutter.cut_after
        if cut_after is not None and b"grant_type=refresh_token" in body:
            answer = answer[: cut_after(answer)]
            cutter.cuts += 1
            if cutter.reset:  # close with RST, not FIN
                self.request.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
        self.request.sendall(answer)


class RefreshAnswerCutter:
    """The proxy; ``url`` is what the ``proxy_url`` setting takes."""

    def __init__(self, port: int = 0) -> None:
        self.cut_after: Callable[[bytes], int] | None = None
        self.reset = False
        self.cuts = 0
        self._port = port
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> RefreshAnswerCutter:
        self._server = _Server(("127.0.0.1", self._port), _Handler)
        self._server.cutter = self
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> RefreshAnswerCutter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
