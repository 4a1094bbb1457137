"""Single-flight across processes: 20 concurrent requests with an expired token, two gunicorn
worker processes sharing a real Redis, the fake Wristband detecting refresh-token reuse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.support.network import free_port
from wristband_django.testing import FakeWristband

ROOT = Path(__file__).resolve().parent.parent
CONCURRENT_REQUESTS = 20

pytestmark = pytest.mark.slow  # two gunicorn servers


@contextmanager
def gunicorn(port: int, env: dict[str, str]) -> Iterator[str]:
    """One gunicorn master with one threaded worker process on 127.0.0.1:port."""
    command = [
        sys.executable, "-m", "gunicorn", "tests.support.server_wsgi:application",
        "--workers", "1", "--threads", "16", "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "2", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base}/auth/session/", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def log_in(base: str, fake: FakeWristband) -> requests.Session:
    browser = requests.Session()
    started = browser.get(f"{base}/auth/login/?tenant_name=acme", allow_redirects=False)
    callback = fake.authorize(started.headers["Location"])
    finished = browser.get(callback, allow_redirects=False)
    assert finished.status_code == 302 and "sessionid" in browser.cookies
    return browser


@pytest.mark.parametrize("rotate", [True, False], ids=["rotation", "no-rotation"])
def test_one_refresh_for_twenty_concurrent_requests_across_processes(
    redis_cache: dict[str, str], rotate: bool
) -> None:
    ports = [free_port(), free_port()]
    with FakeWristband(
        login_url=f"http://127.0.0.1:{ports[0]}/auth/login/",
        redirect_uri=f"http://127.0.0.1:{ports[0]}/auth/callback/",
        access_token_ttl=60,  # minus the 60 s buffer: expired as soon as it is issued
        rotate_refresh_tokens=rotate,
    ) as fake:
        auth = fake.auth_settings(
            protected_paths=["/api/"],
            dangerously_disable_secure_cookies=True,
            track_sessions=False,  # these servers have no migrated database
        )
        env = {
            "DJANGO_SETTINGS_MODULE": "tests.support.server_settings",
            "REDIS_URL": redis_cache["LOCATION"],
            "REDIS_KEY_PREFIX": redis_cache["KEY_PREFIX"],
            "WRISTBAND_TEST_AUTH": json.dumps(auth),
        }
        with gunicorn(ports[0], env) as first, gunicorn(ports[1], env) as second:
            browser = log_in(first, fake)
            fake.access_token_ttl = 3600
            fake.inject("token", delay=0.3, grant_type="refresh_token")  # a slow refresh
            cookie = browser.cookies["sessionid"]
            barrier = threading.Barrier(CONCURRENT_REQUESTS)
            answers: list[requests.Response] = []

            def call(base: str) -> None:
                barrier.wait()
                answers.append(
                    requests.get(f"{base}/api/whoami/", cookies={"sessionid": cookie}, timeout=30)
                )

            threads = [
                threading.Thread(target=call, args=((first, second)[i % 2],))
                for i in range(CONCURRENT_REQUESTS)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

            assert [answer.status_code for answer in answers] == [200] * CONCURRENT_REQUESTS
            assert len(fake.calls("token", grant_type="refresh_token")) == 1
            tokens = {answer.json()["accessToken"] for answer in answers}
            assert len(tokens) == 1  # everyone used the winner's token
            assert len({answer.json()["pid"] for answer in answers}) == 2  # two processes

            after = requests.get(f"{second}/api/whoami/", cookies={"sessionid": cookie}, timeout=10)
            assert after.status_code == 200 and after.json()["accessToken"] in tokens
            assert len(fake.calls("token", grant_type="refresh_token")) == 1
