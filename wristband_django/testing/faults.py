"""Fault injection: slow, dropped, trickled or replaced responses per endpoint."""

from __future__ import annotations

import json as jsonlib
import threading
from dataclasses import dataclass, field
from typing import Any

from .responses import Response

ENDPOINTS = frozenset(
    {
        "authorize",
        "token",
        "userinfo",
        "revoke",
        "jwks",
        "sdk_configuration",
        "validate_custom_domain",
        "logout",
        "app_login",
    }
)
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})


@dataclass
class Fault:
    """One injected fault, as `FakeWristband.inject` returns it.

    `remaining` counts the uses left (None means until the faults are cleared), and `hits`
    the uses so far. With `trickle` > 0, the answer is written one byte at a time over that
    many seconds.

    `arrived` is set when a request the fault applies to reaches the fake. With `hold`, such
    requests wait there until `release()` (or until the fake stops).
    """

    endpoint: str
    status: int | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    drop: bool = False
    remaining: int | None = 1
    grant_type: str | None = None
    hits: int = 0
    trickle: float = 0.0
    hold: bool = False
    arrived: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    _released: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        endpoint: str,
        *,
        status: int | None = None,
        body: str | bytes | None = None,
        content_type: str = "application/json",
        json: Any = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = 1,
        grant_type: str | None = None,
        trickle: float = 0.0,
        hold: bool = False,
    ) -> Fault:
        """Validate `FakeWristband.inject`'s arguments and build the fault.

        A body without a status gets 200, and a status without a body gets a default body.
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {sorted(ENDPOINTS)}")
        if grant_type is not None and (endpoint != "token" or grant_type not in GRANT_TYPES):
            raise ValueError("grant_type filters only apply to the token endpoint")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        if isinstance(trickle, bool) or not isinstance(trickle, (int, float)) or not trickle >= 0:
            raise ValueError(f"trickle must be a number of seconds >= 0, not {trickle!r}")
        if trickle and drop:
            raise ValueError("a dropped connection cannot trickle an answer: pass one of them")
        if json is not None:
            body, content_type = jsonlib.dumps(json), "application/json"
        raw = body.encode() if isinstance(body, str) else body
        if raw is not None and status is None:
            status = 200
        if status is not None and raw is None:
            raw = _default_body(status)
        return cls(
            endpoint,
            status,
            raw,
            content_type,
            delay,
            drop,
            times,
            grant_type,
            trickle=trickle,
            hold=bool(hold),
        )

    def response(self) -> Response | None:
        """Return the replacement response, or None if the fault only delays, drops or trickles."""
        if self.status is None:
            return None
        return Response(self.status, self.body or b"", self.content_type)

    def applies_to(self, endpoint: str, grant_type: str | None) -> bool:
        return self.endpoint == endpoint and self.grant_type in (None, grant_type)

    def release(self) -> None:
        """Let the requests this fault holds go on, and any later ones it applies to."""
        self._released.set()

    def wait_for_release(self, stopping: threading.Event) -> bool:
        """Hold the calling request until `release()`; False if the fake stops first."""
        while not self._released.wait(0.01):
            if stopping.is_set():
                return False
        return not stopping.is_set()


def _default_body(status: int) -> bytes:
    if status < 400:
        return b""
    error = "server_error" if status >= 500 else "invalid_request"
    payload = {"error": error, "error_description": f"Injected fault (HTTP {status})"}
    return jsonlib.dumps(payload).encode()


class FaultQueue:
    """Thread-safe list of pending faults, consumed in insertion order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, endpoint: str, grant_type: str | None) -> Fault | None:
        """Consume one use of the first fault matching this request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.applies_to(endpoint, grant_type):
                    fault.hits += 1
                    fault.arrived.set()
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
        return None
