"""A gunicorn server for the M2M test: one worker process with 16 threads on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support.network import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


@contextmanager
def m2m_server(env: dict[str, str]) -> Iterator[str]:
    """Start it with ``env`` (see ``m2m_settings``) and yield its base URL once it answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "tests.support.server_wsgi:application",
        "--workers", "1", "--threads", "16", "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "2", "--log-level", "warning",
    ]  # fmt: skip
    settings = {"DJANGO_SETTINGS_MODULE": "tests.support.m2m_settings"}
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env, **settings})  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base}/m2m/ping/", timeout=5).raise_for_status()
                break
            except (requests.ConnectionError, requests.Timeout):  # a loaded machine: keep trying
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)
