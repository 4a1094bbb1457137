"""A small API of "your own" on 127.0.0.1, which the tests call with the outbound auth.

It accepts a Wristband access token as a service would: ``validate_access_token`` (the
fake's keys, issuer, expiry), and then the revocations it was told of (``revoke``), as an
API that checks a revocation list or asks Wristband. Everything it received is recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.network import free_port
from wristband_django.bearer import validate_access_token
from wristband_django.errors import InvalidAccessTokenError, WristbandUnavailableError


@dataclass(frozen=True)
class Received:
    """One request the API received, and its answer."""

    method: str
    path: str
    token: str | None
    body: bytes
    status: int


class DownstreamApi:
    """The API: ``url`` once started; ``revoke(token)``; ``refuse_all`` answers 401 to every
    token; ``hold_refusals(n)`` holds each 401 until ``n`` are being answered at once;
    ``before_refusal`` runs before each 401; ``delay`` (seconds) before every answer;
    ``redirect_to``: ``/v1/moved`` redirects there."""

    def __init__(self) -> None:
        self.revoked: set[str] = set()
        self.refuse_all = False
        self.before_refusal: Callable[[], object] | None = None
        self.delay = 0.0
        self.redirect_to: str | None = None
        self.received: list[Received] = []
        self._barrier: threading.Barrier | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> DownstreamApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()  # a delayed answer ends now, unanswered
        if self._barrier is not None:
            self._barrier.abort()
        self._server.shutdown()
        self._server.server_close()

    def revoke(self, token: str) -> None:
        self.revoked.add(token)

    def hold_refusals(self, parties: int) -> None:
        self._barrier = threading.Barrier(parties, timeout=15)

    def tokens(self) -> list[str | None]:
        """The token of each request received, in order."""
        with self._lock:
            return [seen.token for seen in self.received]

    def statuses(self) -> list[int]:
        with self._lock:
            return [seen.status for seen in self.received]

    def answer(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """Return the status and JSON body for a request (called by the server's threads)."""
        if self.delay and self._stopped.wait(self.delay):
            return 503, {"error": "stopped"}
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else None
        status, payload = self._judge(path, token, body)
        with self._lock:
            self.received.append(Received(method, path, token, body, status))
        return status, payload

    def _judge(self, path: str, token: str | None, body: bytes) -> tuple[int, dict[str, Any]]:
        if path == "/v1/moved" and self.redirect_to:
            return 302, {"location": self.redirect_to}
        if not token:
            return 401, {"error": "unauthorized"}
        try:
            claims = validate_access_token(token)
        except InvalidAccessTokenError:
            return 401, {"error": "invalid_token"}
        except WristbandUnavailableError:  # Wristband's keys: not the token's fault
            return 503, {"error": "keys_unavailable"}
        if self.refuse_all or token in self.revoked:
            if self.before_refusal is not None:
                self.before_refusal()
            if self._barrier is not None:
                self._barrier.wait()
            return 401, {"error": "invalid_token"}
        return 200, {
            "user_id": claims.user_id,
            "machine": claims.is_machine,
            "path": path,
            "body": body.decode(),
        }


def _handler_for(api: DownstreamApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else self._chunked()
            status, payload = api.answer(self.command, self.path, self.headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            if status == 302:
                self.send_header("Location", payload["location"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _chunked(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                return b""
            chunks = []
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if not size:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the tests read ``api.received``

    return Handler
