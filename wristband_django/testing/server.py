"""The HTTP layer: parses requests into `RecordedRequest`s and writes `Response`s (or drops)."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from .models import RecordedRequest
from .responses import Response, error_response
from .routes import route


@dataclass(frozen=True)
class Trickle:
    """`response`, written one byte at a time over `seconds` (cut short once `stop` is set)."""

    response: Response
    seconds: float
    stop: threading.Event


Dispatch = Callable[[RecordedRequest], Response | Trickle | None]
"""Answers a request; None means: close the connection without answering."""


class FakeHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server that can close its open keep-alive connections on stop.

    With ``ssl_context`` (a server-side ``ssl.SSLContext``) it speaks https: each connection's
    TLS handshake happens in that connection's own thread, so a client that never completes
    one holds no other.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    #: Seconds a client has to complete the TLS handshake.
    handshake_timeout = 10.0

    def __init__(
        self,
        address: tuple[str, int],
        dispatch: Dispatch,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.dispatch = dispatch
        self.ssl_context = ssl_context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def shutdown(self) -> None:
        """Stop the serving loop and return once it has stopped.

        ``socketserver`` notices a shutdown only when its loop wakes up; a connection wakes
        it at once, so stopping takes a millisecond rather than a poll interval.
        """
        stopper = threading.Thread(target=super().shutdown, daemon=True)
        stopper.start()
        host, port = str(self.server_address[0]), int(self.server_address[1])
        if host in ("", "0.0.0.0"):  # noqa: S104 (a comparison)
            host = "127.0.0.1"
        while stopper.is_alive():
            with contextlib.suppress(OSError):
                socket.create_connection((host, port), timeout=0.1).close()
            stopper.join(0.005)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is not None:
            request.settimeout(self.handshake_timeout)
            try:  # the wrapped socket takes over the connection (``request`` is detached)
                tls = self.ssl_context.wrap_socket(request, server_side=True)
            except OSError:  # e.g. the client does not trust the certificate
                request.close()
                return
            try:
                super().finish_request(tls, client_address)
            finally:
                tls.close()
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    # Headers and body are written separately; without TCP_NODELAY, Nagle plus the client's
    # delayed ACK adds ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: FakeHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the access log (it would print tokens in query strings)."""

    def _serve(self) -> None:
        request = self._read_request()
        try:
            response = self.server.dispatch(request)
        except Exception as exc:  # a bug in the fake: answer instead of hanging the client
            response = error_response(500, "server_error", f"fake Wristband crashed: {exc!r}")
        if response is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if isinstance(response, Trickle):
            self._trickle(response)
        else:
            self._write(response)

    def _read_request(self) -> RecordedRequest:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        text = body.decode("utf-8", "replace")
        form = (
            dict(parse_qsl(text, keep_blank_values=True))
            if content_type.endswith("x-www-form-urlencoded")
            else {}
        )
        return RecordedRequest(
            endpoint=route(url.path)[0],
            method=self.command,
            path=url.path,
            host=headers.get("host", ""),
            query=parse_qs(url.query, keep_blank_values=True),
            form=form,
            json=_json_or_none(text) if "json" in content_type else None,
            headers=headers,
            at=time.time(),
        )

    def _write(self, response: Response) -> None:
        try:
            self._write_head(response)
            self.wfile.write(response.body)
        except ConnectionError:  # the client gave up (e.g. timed out during an injected delay)
            self.close_connection = True

    def _write_head(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _trickle(self, trickle: Trickle) -> None:
        """Write the whole answer one byte at a time, byte i at (i + 1) / n of `seconds`."""
        wfile, buffer = self.wfile, io.BytesIO()
        self.wfile = buffer
        try:
            self._write_head(trickle.response)
        finally:
            self.wfile = wfile
        data = buffer.getvalue() + trickle.response.body
        started = time.monotonic()
        try:
            for index in range(len(data)):
                wait = started + trickle.seconds * (index + 1) / len(data) - time.monotonic()
                if wait > 0 and trickle.stop.wait(wait):
                    raise ConnectionAbortedError("the fake is stopping")
                wfile.write(data[index : index + 1])
        except OSError:  # the client gave up, or the fake is stopping
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
