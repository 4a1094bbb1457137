"""Loopback ports for the servers the tests start.

A port the kernel picks with ``bind(0)`` comes from the ephemeral range, where it can be handed
out again at once: to the next ``bind(0)`` of the same test (two servers on one port, one of
them silently answering for both), to another xdist worker, or as the local port of any
outgoing connection. Ports here come from below the ephemeral range instead, from a slice of
their own per xdist worker; a process never hands out the same port twice, and a port is
reserved machine-wide for ``RESERVED_SECONDS`` (a file in ``RESERVATIONS``), so two test runs
at once (tox environments in parallel, CI beside a developer) never share one either.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
import threading
import time
from pathlib import Path

FIRST_PORT = 20000  # below Linux's default ephemeral range (32768-60999)
PORTS_PER_WORKER = 1500
WORKER_SLICES = 8

#: Where ports are reserved across processes, and for how long a reservation holds.
RESERVATIONS = Path(tempfile.gettempdir()) / "wristband-django-test-ports"
RESERVED_SECONDS = 120  # far longer than any server takes to bind its port

_lock = threading.Lock()
_handed_out: set[int] = set()


def _worker_slice() -> range:
    """The ports this process draws from: one slice per xdist worker (``gw0``, ``gw1``, ...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % WORKER_SLICES if worker.isdigit() else 0
    start = FIRST_PORT + index * PORTS_PER_WORKER
    return range(start, start + PORTS_PER_WORKER)


def _bindable(port: int) -> bool:
    """Whether nothing holds ``port`` on 127.0.0.1 right now."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _reserve(port: int) -> bool:
    """Reserve ``port`` for this process unless another holds a reservation younger than
    ``RESERVED_SECONDS``; return whether it is ours now (decided under a machine-wide lock)."""
    RESERVATIONS.mkdir(exist_ok=True)
    path = RESERVATIONS / str(port)
    with (RESERVATIONS / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        try:
            if time.time() - path.stat().st_mtime < RESERVED_SECONDS:
                return False
        except FileNotFoundError:
            pass
        path.touch()
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing holds right now and that this process has not
    handed out before (so two servers of one test never share a port)."""
    ports = _worker_slice()
    with _lock:
        offset = random.randrange(len(ports))
        for step in range(len(ports)):
            port = ports[(offset + step) % len(ports)]
            if port not in _handed_out and _bindable(port) and _reserve(port):
                _handed_out.add(port)
                return port
    raise RuntimeError(f"no free port left in {ports.start}-{ports.stop - 1}")
