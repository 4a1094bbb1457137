"""Processes for tests/deployment/test_tokens_outside_requests.py: a gunicorn app server and
a background worker, both with tests.support.server_settings (sessions in a shared Redis)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests

from tests.support.gunicorn_server import gunicorn_server

ROOT = Path(__file__).resolve().parent.parent.parent


def app_server(port: int, env: dict[str, str]) -> Any:
    """One gunicorn master with one threaded worker process on 127.0.0.1:port; yields its
    base URL once it answers."""
    return gunicorn_server(port, env, threads=8)


class Worker:
    """``python -m tests.support.outside_worker <key>``: a process of its own asking
    ``wristband_django.sessions.access_token``, as a Celery worker would."""

    def __init__(self, session_key: str, env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "tests.support.outside_worker", session_key]
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, text=True
        )

    def wait_until_calling(self, timeout: float = 30) -> None:
        """Until the worker has set Django up and is about to call ``access_token``."""
        stdout = self.process.stdout
        assert stdout is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        assert lines == ["calling\n"], lines

    def is_running(self) -> bool:
        return self.process.poll() is None

    def result(self, timeout: float = 30) -> dict[str, Any]:
        """The worker's answer: ``token_sha256`` and ``pid``, or ``error``."""
        out, _ = self.process.communicate(timeout=timeout)
        assert self.process.returncode == 0
        answer: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return answer

    def kill(self) -> None:
        if self.is_running():
            self.process.kill()
            self.process.wait(10)


def log_in_over_http(base: str, fake: Any) -> requests.Session:
    """A browser (``requests.Session``) logged in to the app server at ``base``."""
    browser = requests.Session()
    started = browser.get(f"{base}/auth/login/?tenant_name=acme", allow_redirects=False)
    callback = fake.authorize(started.headers["Location"])
    finished = browser.get(callback, allow_redirects=False)
    assert finished.status_code == 302 and "sessionid" in browser.cookies
    return browser
