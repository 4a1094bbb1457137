"""Redis unreachable (paused so it times out, or stopped): protected requests get 503, never
401 or a stack trace, and the same cookie works again once Redis is back. Each test runs on
django-redis and on Django's own RedisCache (which lets redis-py's errors through as they
are, and whose refresh lock is a ``cache.add``)."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.support.auth_helpers import expire_access_token, log_in
from tests.support.redis_server import ThrowawayRedis
from wristband_django.testing import FakeWristband

SOCKET_TIMEOUT = 0.5
BUILTIN_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"

pytestmark = [
    pytest.mark.redis,
    pytest.mark.slow,  # throwaway servers, stopped and paused
    pytest.mark.wristband_settings(protected_paths=["/api/"]),
]


def cache_settings(server: ThrowawayRedis, backend: str) -> dict[str, Any]:
    """A CACHES entry for ``server`` through ``backend``, with short socket timeouts."""
    if backend == "django-redis":
        return server.cache_settings(SOCKET_TIMEOUT)
    return {  # Django's own RedisCache takes redis-py's connection options, lower-case
        "BACKEND": BUILTIN_REDIS_BACKEND,
        "LOCATION": server.url,
        "OPTIONS": {"socket_connect_timeout": SOCKET_TIMEOUT, "socket_timeout": SOCKET_TIMEOUT},
    }


@pytest.fixture(params=["django-redis", "redis-builtin"])
def client_on_throwaway_redis(
    request: pytest.FixtureRequest,
    throwaway_redis: ThrowawayRedis,
    wristband: FakeWristband,
    settings: Any,
) -> Client:
    settings.CACHES = {"default": cache_settings(throwaway_redis, request.param)}
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


@pytest.mark.fake_wristband(rotate_refresh_tokens=False)
# The lock's holder cannot release it while Redis is down, and Redis keeps it through the
# restart: the next refresh waits out its lifetime, so keep it short.
@pytest.mark.wristband_settings(refresh_timeout=1, refresh_lock_timeout=4)
def test_redis_stopped_while_the_refresh_holds_the_lock_gives_503_and_no_second_grant(
    client_on_throwaway_redis: Client, throwaway_redis: ThrowawayRedis, wristband: FakeWristband
) -> None:
    """The refresh took the lock, and Redis stops before it can store the new tokens and
    release the lock: 503 (not a 500 from the lock's release), the cookie kept. Once Redis is
    back, its refresh token is not presented again (issue 22, point 10: one grant per
    expiry): the store never learnt the grant's outcome, and with rotation a second
    presentation would revoke the family. The session ends (401 with the login URL), with
    or without rotation, and logging in again works."""
    client = client_on_throwaway_redis
    client.raise_request_exception = False  # a 500 is an answer here, not a test error
    expire_access_token(client)
    refresh = wristband.inject("token", hold=True, grant_type="refresh_token")
    responses: list[HttpResponse] = []
    refreshing = threading.Thread(target=lambda: responses.append(client.get("/api/whoami/")))
    refreshing.start()
    assert refresh.arrived.wait(5)  # the lock is taken: Wristband has the refresh grant
    throwaway_redis.stop_keeping_data()
    refresh.release()
    refreshing.join(10)
    (response,) = responses
    assert response.status_code == 503, response.content
    assert response.json()["error"] == "session_store_unavailable"
    assert "sessionid" not in response.cookies  # the cookie is kept, not expired
    throwaway_redis.start()
    response = client.get("/api/whoami/")  # waits for the orphaned lock, then ends it
    assert response.status_code == 401 and "loginUrl" in response.json()
    assert len(wristband.calls("token", grant_type="refresh_token")) == 1
    log_in(client, wristband)
    assert client.get("/api/whoami/").json()["userId"] == "usr_acme_admin"
