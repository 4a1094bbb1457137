"""``MachineTokenProvider`` against the fake Wristband over HTTP: one token request per
token's life, refresh before expiry, backoff after failures shared through the cache, no
token or secret in logs or at rest, and one request for 20 callers in two processes."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any

import jwt
import pytest
import redis
import requests
from django.core.exceptions import ImproperlyConfigured

from tests.m2m import MACHINE_ID, MACHINE_SECRET
from tests.m2m.m2m_server import m2m_server
from tests.support.redis_server import ThrowawayRedis
from wristband_django.errors import StoreUnavailableError, WristbandError, WristbandUnavailableError
from wristband_django.m2m import MachineTokenProvider
from wristband_django.testing import FakeWristband
from wristband_django.wristband import backoff

CONCURRENT_CALLERS = 20


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(backoff, "FIRST_BACKOFF_SECONDS", 0.3)
    return 0.3


def provider(**options: Any) -> MachineTokenProvider:
    return MachineTokenProvider(MACHINE_ID, MACHINE_SECRET, **options)


def token_requests(fake: FakeWristband) -> int:
    return len(fake.calls("token", grant_type="client_credentials"))


def subject(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


def test_the_first_call_requests_a_token_and_later_calls_use_the_cache(
    fake: FakeWristband,
) -> None:
    first = provider().get_token()

    assert subject(first) == MACHINE_ID
    assert provider().get_token() == first  # another instance: the cache, not the object
    assert token_requests(fake) == 1


@pytest.mark.slow  # waits out part of a token's life or a call timeout
@pytest.mark.fake_wristband(access_token_ttl=1)
def test_a_token_inside_the_refresh_margin_is_replaced(fake: FakeWristband) -> None:
    tokens = provider(refresh_margin=0.3)  # refresh 0.7 s after the request
    first = tokens.get_token()

    time.sleep(0.4)
    assert tokens.get_token() == first  # past half its life, not yet inside the margin
    time.sleep(0.35)
    second = tokens.get_token()

    assert second != first
    assert token_requests(fake) == 2


@pytest.mark.slow  # waits out part of a token's life or a call timeout
@pytest.mark.fake_wristband(access_token_ttl=1)
def test_the_margin_is_at_most_half_the_tokens_life(fake: FakeWristband) -> None:
    tokens = provider(refresh_margin=60)  # longer than the token lives
    first = tokens.get_token()

    assert tokens.get_token() == first  # not one request per call
    time.sleep(0.55)
    assert tokens.get_token() != first
    assert token_requests(fake) == 2


def test_clear_token_forces_a_new_request(fake: FakeWristband) -> None:
    tokens = provider()
    rejected = tokens.get_token()

    tokens.clear_token()
    fresh = tokens.get_token()
    tokens.clear_token(rejected)  # a late 401 for the old token keeps the new one

    assert fresh != rejected
    assert tokens.get_token() == fresh
    assert token_requests(fake) == 2


@pytest.mark.slow  # 1.35 s of backoffs waited out
def test_a_5xx_raises_then_backs_off_in_the_shared_cache(
    fake: FakeWristband, fast_backoff: float
) -> None:
    fake.inject("token", status=503, times=2)
    tokens = provider()

    with pytest.raises(WristbandUnavailableError) as failed:
        tokens.get_token()
    assert failed.value.status == 503 and failed.value.retryable
    for instance in (tokens, provider()):  # every instance (and process) backs off
        with pytest.raises(WristbandUnavailableError, match="no new one for"):
            instance.get_token()
    assert token_requests(fake) == 1

    time.sleep(fast_backoff + 0.05)
    with pytest.raises(WristbandUnavailableError):
        tokens.get_token()  # the second 503: the backoff doubles
    assert token_requests(fake) == 2
    time.sleep(fast_backoff + 0.05)
    with pytest.raises(WristbandUnavailableError, match="no new one for"):
        tokens.get_token()
    assert token_requests(fake) == 2

    time.sleep(fast_backoff)
    token = tokens.get_token()
    assert subject(token) == MACHINE_ID and token_requests(fake) == 3

    tokens.clear_token()
    fake.inject("token", status=503)
    with pytest.raises(WristbandUnavailableError):
        tokens.get_token()
    time.sleep(fast_backoff + 0.05)  # success reset the doubling
    assert tokens.get_token() != token
    assert token_requests(fake) == 5


@pytest.mark.slow  # 1.05 s: a token's life waited out
@pytest.mark.fake_wristband(access_token_ttl=1)
def test_a_failed_refresh_serves_the_token_until_it_expires(
    fake: FakeWristband, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backoff, "FIRST_BACKOFF_SECONDS", 10.0)
    tokens = provider()  # refresh after 0.5 s (half the life), expiry after 1 s
    current = tokens.get_token()
    time.sleep(0.55)
    fake.inject("token", status=503)

    assert tokens.get_token() == current  # the refresh failed; still valid for ~0.45 s
    assert tokens.get_token() == current  # backing off: no request
    assert token_requests(fake) == 2
    time.sleep(0.5)
    with pytest.raises(WristbandUnavailableError, match="no new one for"):
        tokens.get_token()  # expired, and still backing off
    assert token_requests(fake) == 2


def test_an_invalid_client_is_an_error_not_retryable_and_backed_off(fake: FakeWristband) -> None:
    tokens = MachineTokenProvider(MACHINE_ID, "not-the-secret")

    for _ in range(2):
        with pytest.raises(WristbandError) as failed:
            tokens.get_token()
        assert failed.value.error == "invalid_client" and failed.value.status == 401
        assert not isinstance(failed.value, WristbandUnavailableError)
        assert not failed.value.retryable
    assert token_requests(fake) == 1


def test_callers_in_one_process_share_one_request(fake: FakeWristband) -> None:
    fake.inject("token", delay=0.3)  # every caller arrives while the first request is out
    barrier = threading.Barrier(10)
    tokens: list[str] = []

    def call() -> None:
        barrier.wait()
        tokens.append(provider().get_token())

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(tokens) == 10 and len(set(tokens)) == 1
    assert token_requests(fake) == 1


@pytest.mark.slow  # waits out part of a token's life or a call timeout
@pytest.mark.wristband_settings(call_timeout=0.5)
def test_waiting_for_another_callers_request_is_bounded_by_the_call_timeout(
    fake: FakeWristband,
) -> None:
    held = fake.inject("token", hold=True)
    outcomes: list[BaseException] = []

    def first_call() -> None:
        try:
            provider().get_token()
        except WristbandError as exc:
            outcomes.append(exc)

    first = threading.Thread(target=first_call)
    first.start()
    assert held.arrived.wait(5)
    started = time.monotonic()
    try:
        with pytest.raises(WristbandUnavailableError):
            provider().get_token()  # waits for the lock, then the first caller's outcome
        assert time.monotonic() - started < 1.5
        assert token_requests(fake) == 1
    finally:
        held.release()
        first.join(5)
    assert len(outcomes) == 1 and isinstance(outcomes[0], WristbandUnavailableError)


def test_no_token_or_secret_is_logged(
    fake: FakeWristband, fast_backoff: float, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = provider()
    token = tokens.get_token()
    tokens.clear_token(token)
    fake.inject("token", status=503)
    with pytest.raises(WristbandUnavailableError) as unavailable:
        tokens.get_token()
    with pytest.raises(WristbandError) as invalid:
        MachineTokenProvider(MACHINE_ID + "-x", MACHINE_SECRET).get_token()

    logged = caplog.text
    assert MACHINE_ID in logged and "server_error" in logged and "invalid_client" in logged
    shown = [logged, str(unavailable.value), str(invalid.value), repr(tokens)]
    for text in shown:
        assert token not in text and MACHINE_SECRET not in text


def test_async_callers(fake: FakeWristband) -> None:
    tokens = provider()

    async def calls() -> tuple[str, str]:
        first = await tokens.aget_token()
        await tokens.aclear_token(first)
        return first, await tokens.aget_token()

    first, second = asyncio.run(calls())

    assert first != second and tokens.get_token() == second
    assert token_requests(fake) == 2


def test_application_vanity_domain_overrides_the_settings(
    fake: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = fake.auth_settings(wristband_application_vanity_domain="localhost:9")

    token = provider(application_vanity_domain=fake.vanity_domain).get_token()

    assert subject(token) == MACHINE_ID and token_requests(fake) == 1
    with pytest.raises(ImproperlyConfigured, match="application_vanity_domain"):
        provider(application_vanity_domain="https://example.com/").get_token()


def test_a_dummy_cache_and_bad_arguments_are_refused(settings: Any, fake: FakeWristband) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "dummy": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    with pytest.raises(ImproperlyConfigured, match="DummyCache"):
        provider(cache_alias="dummy").get_token()
    with pytest.raises(ValueError, match="secret"):
        MachineTokenProvider(MACHINE_ID, "")
    with pytest.raises(ValueError, match="refresh_margin"):
        provider(refresh_margin=-1)
    assert token_requests(fake) == 0


def test_redis_holds_the_token_sealed(
    fake: FakeWristband, settings: Any, redis_cache: dict[str, str]
) -> None:
    settings.CACHES = {"default": redis_cache}
    token = provider().get_token()

    server = redis.Redis.from_url(redis_cache["LOCATION"])
    keys = list(server.scan_iter(match=f"{redis_cache['KEY_PREFIX']}:*"))
    assert keys
    for key in keys:
        assert MACHINE_ID.encode() not in key and MACHINE_SECRET.encode() not in key
        assert token.encode() not in (server.get(key) or b"")
    assert provider().get_token() == token and token_requests(fake) == 1


def test_a_cache_outage_is_store_unavailable(
    fake: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis
) -> None:
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    throwaway_redis.kill()

    with pytest.raises(StoreUnavailableError):
        provider().get_token()
    assert token_requests(fake) == 0


@pytest.mark.slow  # two gunicorn servers
@pytest.mark.parametrize(
    ("cache", "expected_requests"),
    [pytest.param("redis", 1, marks=pytest.mark.redis), ("locmem", 2)],
)
def test_twenty_concurrent_callers_in_two_processes(
    request: pytest.FixtureRequest, cache: str, expected_requests: int
) -> None:
    """Redis: one request for all. LocMem is per process: one request per process."""
    with FakeWristband() as fake:
        fake.add_machine_client(MACHINE_ID, MACHINE_SECRET)
        env = {
            "WRISTBAND_TEST_AUTH": json.dumps(fake.auth_settings()),
            "WRISTBAND_TEST_M2M_CLIENT_ID": MACHINE_ID,
            "WRISTBAND_TEST_M2M_CLIENT_SECRET": MACHINE_SECRET,
        }
        if cache == "redis":
            redis_cache = request.getfixturevalue("redis_cache")
            env |= {
                "REDIS_URL": redis_cache["LOCATION"],
                "REDIS_KEY_PREFIX": redis_cache["KEY_PREFIX"],
            }
        with m2m_server(env) as first, m2m_server(env) as second:
            fake.inject("token", delay=0.3)  # a slow request: every caller arrives meanwhile
            barrier = threading.Barrier(CONCURRENT_CALLERS)
            answers: list[requests.Response] = []

            def call(base: str) -> None:
                barrier.wait()
                answers.append(requests.get(f"{base}/m2m/token/", timeout=30))

            threads = [
                threading.Thread(target=call, args=((first, second)[i % 2],))
                for i in range(CONCURRENT_CALLERS)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

            assert [answer.status_code for answer in answers] == [200] * CONCURRENT_CALLERS
            seen = {(answer.json()["pid"], answer.json()["token"]) for answer in answers}
            assert len({pid for pid, _ in seen}) == 2  # both processes answered...
            assert len(seen) == 2  # ...each with one token for all its callers
            assert len({token for _, token in seen}) == expected_requests
            assert token_requests(fake) == expected_requests
