"""Redis unreachable (paused so it times out, or stopped): protected requests get 503, never
401 or a stack trace, and the same cookie works again once Redis is back."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest
from django.test import Client

from tests.support.auth_helpers import log_in
from tests.support.redis_server import ThrowawayRedis
from wristband_django.testing import FakeWristband

SOCKET_TIMEOUT = 0.5

pytestmark = [pytest.mark.redis, pytest.mark.slow]  # throwaway servers, stopped and paused


@pytest.fixture
def client_on_throwaway_redis(
    throwaway_redis: ThrowawayRedis, wristband: FakeWristband, settings: Any
) -> Client:
    settings.CACHES = {"default": throwaway_redis.cache_settings(SOCKET_TIMEOUT)}
    settings.WRISTBAND_AUTH = wristband.auth_settings(protected_paths=["/api/"])
    client = Client()
    log_in(client, wristband)
    assert client.get("/api/whoami/").status_code == 200
    return client


def assert_unavailable_quickly(client: Client, limit: float) -> None:
    started = time.monotonic()
    response = client.get("/api/whoami/")
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.content
    assert response.json()["error"] == "session_store_unavailable"
    assert response["Retry-After"] == "5"
    assert elapsed < limit, elapsed
    assert "sessionid" not in response.cookies  # the cookie is kept, not expired


def test_paused_redis_gives_503_within_the_socket_timeout_and_recovers(
    client_on_throwaway_redis: Client, throwaway_redis: ThrowawayRedis
) -> None:
    client = client_on_throwaway_redis
    assert throwaway_redis.process is not None
    os.kill(throwaway_redis.process.pid, signal.SIGSTOP)
    try:
        assert_unavailable_quickly(client, limit=SOCKET_TIMEOUT + 0.3)
        assert client.get("/open/").status_code == 200  # unprotected pages are not blocked
    finally:
        os.kill(throwaway_redis.process.pid, signal.SIGCONT)
    response = client.get("/api/whoami/")
    assert response.status_code == 200 and response.json()["userId"] == "usr_acme_admin"


def test_stopped_redis_gives_503_and_the_same_cookie_works_after_restart(
    client_on_throwaway_redis: Client, throwaway_redis: ThrowawayRedis
) -> None:
    client = client_on_throwaway_redis
    throwaway_redis.stop_keeping_data()
    assert_unavailable_quickly(client, limit=SOCKET_TIMEOUT + 0.3)
    assert client.get("/auth/session/").status_code == 503  # JSON endpoints agree
    throwaway_redis.start()
    response = client.get("/api/whoami/")
    assert response.status_code == 200 and response.json()["userId"] == "usr_acme_admin"
