"""A store that blinks in the middle of a refresh loses nothing (issue 17).

Wristband rotates the refresh token when it answers a refresh: from then on only the new
tokens work. So a refresh that got them keeps them while the store does not answer and
writes them once it does (``store_retry_window``); its lock's release is retried the same
way; and "has someone refreshed already?" is read from the primary, never from a replica
that may lag. On real Redis servers of the test's own: one paused (SIGSTOP) inside the
window, and a primary with a replica frozen behind it. The Sentinel failover itself is
tests/deployment/test_redis_failover.py."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.cache import caches
from django.test import Client

from tests.support.auth_helpers import expire_access_token, log_in, stored_entry
from tests.support.redis_server import ThrowawayRedis
from wristband_django.store.locks import cache_lock
from wristband_django.testing import FakeWristband

pytestmark = [pytest.mark.slow, pytest.mark.redis]

AUTH = {"protected_paths": ["/api/"], "refresh_timeout": 3, "store_retry_window": 6}


def refresh_tokens_presented(fake: FakeWristband) -> Counter[str | None]:
    return Counter(
        call.form.get("refresh_token") for call in fake.calls("token", grant_type="refresh_token")
    )


def pause(server: ThrowawayRedis) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)


def resume(server: ThrowawayRedis) -> None:
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGCONT)


@pytest.mark.wristband_settings(**AUTH)
def test_new_tokens_are_written_once_a_paused_redis_answers_again(
    wristband: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis
) -> None:
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    client = Client()
    log_in(client, wristband)
    expire_access_token(client)
    held = wristband.inject("token", hold=True, grant_type="refresh_token")
    answers: list[int] = []
    request = threading.Thread(
        target=lambda: answers.append(client.get("/api/whoami/").status_code)
    )
    request.start()
    assert held.arrived.wait(10)  # the refresh is at Wristband
    pause(throwaway_redis)  # ...and the store stops answering before its answer is written
    held.release()
    time.sleep(2.0)  # four socket timeouts: the write keeps failing meanwhile
    resume(throwaway_redis)
    request.join(20)
    assert answers == [200]  # written once the store answered: no 503, no lost tokens
    expire_access_token(client)
    assert client.get("/api/whoami/").status_code == 200  # the next refresh works
    presented = refresh_tokens_presented(wristband)
    assert len(presented) == 2 and max(presented.values()) == 1  # no refresh token twice


@pytest.mark.wristband_settings(**{**AUTH, "store_retry_window": 0.5})
def test_past_the_window_the_request_is_a_503_not_a_500(
    wristband: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis
) -> None:
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    client = Client(raise_request_exception=False)
    log_in(client, wristband)
    expire_access_token(client)
    held = wristband.inject("token", hold=True, grant_type="refresh_token")
    answers: list[Any] = []
    request = threading.Thread(target=lambda: answers.append(client.get("/api/whoami/")))
    request.start()
    assert held.arrived.wait(10)
    pause(throwaway_redis)
    held.release()
    request.join(20)
    resume(throwaway_redis)
    (answer,) = answers
    assert answer.status_code == 503 and answer["Retry-After"]


def test_a_lock_release_the_store_did_not_answer_is_retried(
    settings: Any, throwaway_redis: ThrowawayRedis
) -> None:
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    cache = caches["default"]
    raw = redis.Redis(port=throwaway_redis.port)
    started = time.monotonic()
    with cache_lock(cache, "retried", ttl=30, wait=1, release_retry=8) as acquired:
        assert acquired
        pause(throwaway_redis)  # the release times out (a socket timeout of 0.5 s)...
        threading.Timer(1.5, resume, args=(throwaway_redis,)).start()
    # ...and is retried, without an error, until Redis answers: not left for 30 s.
    assert raw.exists(":1:retried") == 0 and time.monotonic() - started < 8


@pytest.fixture
def replicated(tmp_path: Path) -> Any:
    """A primary and its replica; ``sync()`` waits until the replica has every write,
    ``freeze()`` makes it stop following: from then on reads from it are as stale as a
    lagging replica's."""
    primary, replica = ThrowawayRedis(tmp_path / "p"), ThrowawayRedis(tmp_path / "r")
    for server in (primary, replica):
        server.directory.mkdir()
        server.start()
    source, link = redis.Redis(port=primary.port), redis.Redis(port=replica.port)
    link.replicaof("127.0.0.1", primary.port)

    def sync() -> None:
        deadline = time.monotonic() + 10
        while link.info("replication")["master_link_status"] != "up":
            assert time.monotonic() < deadline, "the replica did not connect"
            time.sleep(0.05)
        # WAIT counts the replicas holding this connection's own last write, not the cache's:
        # a write of its own, then, which the replica holds only after every earlier one.
        source.incr("replicated-up-to")
        assert source.wait(1, 5000) == 1  # every write so far is on the replica

    def freeze() -> None:
        sync()
        link.replicaof("NO", "ONE")

    yield primary, replica, sync, freeze
    primary.kill()
    replica.kill()


@pytest.mark.wristband_settings(**AUTH)
def test_a_stale_replica_never_starts_a_second_refresh(
    wristband: FakeWristband, settings: Any, replicated: Any
) -> None:
    primary, replica, sync, freeze = replicated
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": [primary.url, replica.url],  # writes to the first, reads from the rest
        }
    }
    client = Client()
    log_in(client, wristband)
    sync()
    expire_access_token(client)
    freeze()  # the replica shows the session with its expired token from now on
    assert client.get("/api/whoami/").status_code == 200  # refreshed, written to the primary
    assert client.get("/api/whoami/").status_code == 200  # reads the stale session...
    presented = refresh_tokens_presented(wristband)
    assert len(presented) == 1 and max(presented.values()) == 1  # ...but refreshes no more


@pytest.mark.wristband_settings(**AUTH)
def test_a_refresh_waits_for_a_replica_to_hold_its_tokens(
    wristband: FakeWristband, settings: Any, replicated: Any
) -> None:
    """A failover right after a refresh cannot lose its tokens: the refresh returns once a
    replica confirmed them (Redis WAIT), and the replica has the session with them."""
    primary, replica, sync, _ = replicated
    settings.CACHES = {"default": primary.cache_settings()}
    client = Client()
    log_in(client, wristband)
    before = expire_access_token(client)
    sync()
    waits = redis.Redis(port=primary.port).info("commandstats").get("cmdstat_wait", {})
    assert client.get("/api/whoami/").status_code == 200  # refreshed
    after = redis.Redis(port=primary.port).info("commandstats")["cmdstat_wait"]
    assert after["calls"] - waits.get("calls", 0) == 1
    settings.CACHES = {"default": replica.cache_settings()}  # the replica, promoted
    entry = stored_entry(client)  # read from it at once: it has the new tokens
    assert entry is not None and entry.refresh_token != before.refresh_token
