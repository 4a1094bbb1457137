"""Total deadlines for calls to Wristband.

``requests`` only has per-operation timeouts: an answer trickled one byte at a time, each
byte within the read timeout, would hold a worker as long as the server likes. Inside
``with deadline(seconds):`` every call to Wristband must finish (connect, send, status line,
headers and every byte of the body) by then; nested deadlines: the tighter one wins. The
deadline lives in a ``ContextVar``, so each thread and each asyncio task has its own.

The connections that honour it are internal (``wristband_django.wristband.transport``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["deadline", "remaining"]

_deadline: ContextVar[float | None] = ContextVar("wristband_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bound every Wristband call inside the block to finish within ``seconds`` from now.

    An enclosing deadline that is tighter still applies."""
    at = time.monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(at if current is None else min(current, at))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Return the seconds left on the current deadline (may be <= 0), or None without one."""
    at = _deadline.get()
    return None if at is None else at - time.monotonic()
