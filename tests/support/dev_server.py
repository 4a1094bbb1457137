"""A ``runserver`` (or any server command) in a subprocess, for the browser tests: started,
waited for until it answers, and stopped afterwards."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests


@contextmanager
def serving(
    command: list[str], *, cwd: Path, env: dict[str, str], ready: Callable[[], object], what: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``command`` and yield its process once ``ready()`` no longer raises a
    ``requests`` error (within 30 s, or ``RuntimeError`` naming ``what``); stop it after."""
    server = subprocess.Popen(  # noqa: S603 (the tests' own commands)
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready()
                break
            except requests.RequestException:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not start") from None
                time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        server.wait(10)
