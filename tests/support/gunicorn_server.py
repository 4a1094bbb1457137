"""A gunicorn app server of the test's own: one master, one threaded worker process, on
127.0.0.1. Shared by the cross-process tests (refresh concurrency, tokens outside a request,
M2M tokens)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent.parent


def server_env(redis_cache: dict[str, Any], auth: dict[str, Any]) -> dict[str, str]:
    """The environment of a server process on ``tests.support.server_settings``: sessions in
    the test's Redis cache (its backend, location and key prefix), ``auth`` as
    ``WRISTBAND_AUTH``."""
    return {
        "DJANGO_SETTINGS_MODULE": "tests.support.server_settings",
        "REDIS_BACKEND": redis_cache["BACKEND"],
        "REDIS_URL": redis_cache["LOCATION"],
        "REDIS_KEY_PREFIX": redis_cache["KEY_PREFIX"],
        "WRISTBAND_TEST_AUTH": json.dumps(auth),
    }


@contextmanager
def gunicorn_server(
    port: int,
    env: dict[str, str],
    *,
    threads: int = 16,
    ready_path: str = "/auth/session/",
    start_timeout: float = 30.0,
) -> Iterator[str]:
    """Start ``tests.support.server_wsgi`` with ``env`` (e.g. ``DJANGO_SETTINGS_MODULE``) and
    yield its base URL once ``ready_path`` answers; stop it afterwards. The first request
    imports the app, which takes seconds on a busy machine: it is waited for."""
    command = [
        sys.executable, "-m", "gunicorn", "tests.support.server_wsgi:application",
        "--workers", "1", "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "2", "--log-level", "warning",
    ]  # fmt: skip
    server_id = uuid.uuid4().hex
    process = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env={**os.environ, **env, "TEST_SERVER_ID": server_id}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                answer = requests.get(f"{base}{ready_path}", timeout=5)
            except (requests.ConnectionError, requests.Timeout):
                answer = None
            if answer is not None and answer.headers.get("X-Test-Server") == server_id:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start on port {port}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)
