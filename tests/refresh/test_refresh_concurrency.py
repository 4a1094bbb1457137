"""Single-flight across processes: 20 concurrent requests with an expired token, two gunicorn
worker processes sharing a real Redis (through django-redis, whose lock is redis-py's, and
through Django's own RedisCache, whose lock is a ``cache.add``), the fake Wristband detecting
refresh-token reuse. And the ``cache.add`` lock's release, on Django's own RedisCache."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.cache.backends.redis import RedisCache

from tests.support.gunicorn_server import gunicorn_server, server_env
from tests.support.network import free_port
from wristband_django.store.locks import RELEASE_MARGIN_SECONDS, cache_lock
from wristband_django.testing import FakeWristband

ROOT = Path(__file__).resolve().parents[2]
CONCURRENT_REQUESTS = 20

pytestmark = pytest.mark.slow  # two gunicorn servers


def gunicorn(port: int, env: dict[str, str]) -> Any:
    """One gunicorn master with one threaded worker process on 127.0.0.1:port."""
    return gunicorn_server(port, env, threads=16)


def log_in(base: str, fake: FakeWristband) -> requests.Session:
    browser = requests.Session()
    started = browser.get(f"{base}/auth/login/?tenant_name=acme", allow_redirects=False)
    callback = fake.authorize(started.headers["Location"])
    finished = browser.get(callback, allow_redirects=False)
    assert finished.status_code == 302 and "sessionid" in browser.cookies
    return browser


@pytest.mark.parametrize(
    "cache_fixture",
    [
        pytest.param("redis_cache", marks=pytest.mark.redis, id="django-redis"),
        pytest.param("builtin_redis_cache", marks=pytest.mark.redis, id="redis-builtin"),
    ],
)
@pytest.mark.parametrize("rotate", [True, False], ids=["rotation", "no-rotation"])
def test_one_refresh_for_twenty_concurrent_requests_across_processes(
    cache_fixture: str, rotate: bool, request: pytest.FixtureRequest
) -> None:
    redis_cache: dict[str, str] = request.getfixturevalue(cache_fixture)
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
        env = server_env(redis_cache, auth)
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


# -- the cache.add lock's release, on Django's own RedisCache ------------------------------

LOCK_TTL = 3  # released only within its first LOCK_TTL - RELEASE_MARGIN_SECONDS (1 s)


class LateReadRedisCache(RedisCache):
    """Django's RedisCache, whose next read comes back only after ``after_read`` ran: a
    worker paused (GC, CPU starvation) or a slow network between a lock's ``get`` and its
    ``delete``."""

    after_read: Callable[[], None] | None = None

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        value = super().get(key, default, version)
        hook, self.after_read = self.after_read, None
        if hook is not None:
            hook()
        return value


def builtin_cache(config: dict[str, Any], cls: type[RedisCache] = RedisCache) -> RedisCache:
    return cls(config["LOCATION"], {"KEY_PREFIX": config["KEY_PREFIX"]})


def test_a_lock_released_in_time_is_free_at_once(builtin_redis_cache: dict[str, Any]) -> None:
    cache = builtin_cache(builtin_redis_cache)
    for _ in range(2):
        with cache_lock(cache, "wristband:lock:test", ttl=LOCK_TTL, wait=0) as acquired:
            assert acquired
            with cache_lock(cache, "wristband:lock:test", ttl=LOCK_TTL, wait=0) as again:
                assert not again  # held: SET NX fails
    assert cache.get("wristband:lock:test") is None


def test_a_late_release_never_deletes_the_next_holders_lock(
    builtin_redis_cache: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The holder read its own token, then its lock expired and another process took it
    before the holder's delete went out: a get-then-delete would delete the new holder's
    lock, and a third process could then refresh beside it."""
    late = builtin_cache(builtin_redis_cache, LateReadRedisCache)
    other = builtin_cache(builtin_redis_cache)
    key = "wristband:lock:test"

    def expire_and_take_over() -> None:
        time.sleep(LOCK_TTL + 0.1)  # the holder's lock expires meanwhile
        assert other.add(key, "the next holder", timeout=60)  # as another process's lock

    with cache_lock(late, key, ttl=LOCK_TTL, wait=0) as acquired:
        assert acquired
        time.sleep(RELEASE_MARGIN_SECONDS / 8)  # well inside the release window
        late.after_read = expire_and_take_over  # the release's get comes back late
    assert other.get(key) == "the next holder"  # still locked for everyone else
    assert "left to expire" in caplog.text
