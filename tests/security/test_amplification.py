"""No amplification: what anonymous or bearer requests can make this app ask Wristband.

The JWKS cache (TTL, single-flight, backoff) and the custom-domain check (cached answers,
token bucket, backoff), seen from outside: HTTP requests in, calls counted at the fake.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from rest_framework.test import APIClient

from tests.support.auth_helpers import log_in
from tests.support.hostile_tokens import issued_claims
from wristband_django.testing import FakeTenant, FakeWristband
from wristband_django.wristband.check_budget import MAX_CHECK_BURST

pytestmark = pytest.mark.urls("tests.support.drf_urls")

REJECTED = "The access token is invalid or expired."
UNAVAILABLE = "Authentication is temporarily unavailable"
CONCURRENT = 6
DELAY = 1.0
CUSTOM_DOMAIN_TENANTS = [FakeTenant("acme", custom_domain="login.acme.test"), FakeTenant("globex")]


# --- helpers -------------------------------------------------------------------------------


def bearer(token: str) -> Any:
    return APIClient().get("/drf/bearer/", HTTP_AUTHORIZATION=f"Bearer {token}")


def concurrently(count: int, call: Any) -> tuple[list[Any], float]:
    """``call()`` in ``count`` threads released together: (results, wall seconds)."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        result = call()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run) for _ in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, time.monotonic() - started


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def random_domain() -> str:
    return f"{uuid.uuid4().hex[:12]}.example.com"


def login_host(query: str) -> str:
    """Where the login endpoint sends the browser for ``query`` (host of the Location)."""
    response = APIClient().get(f"/auth/login/?{query}")
    assert response.status_code == 302, response.content
    location: str = response["Location"]
    return location.split("/")[2]


def validations(fake: FakeWristband) -> int:
    return len(fake.calls("validate_custom_domain"))


# --- JWKS ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_jwks_down_sequential_bearer_requests_back_off(wristband: FakeWristband) -> None:
    token = wristband.sign_access_token(issued_claims(wristband))
    wristband.inject("jwks", status=500, times=None)
    started = time.monotonic()
    responses = [bearer(token) for _ in range(20)]
    elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [503] * 20
    assert all(r.json()["detail"].startswith(UNAVAILABLE) for r in responses)
    assert len(wristband.calls("jwks")) <= 2, elapsed  # 1 unless the loop outlived 1 s
    # Wristband back: the next attempt after the backoff works, without a restart.
    wristband.clear_faults()
    deadline = time.monotonic() + 4
    while bearer(token).status_code != 200:
        assert time.monotonic() < deadline, "never recovered"
        time.sleep(0.2)
    assert len(wristband.calls("jwks")) <= 3


@pytest.mark.slow
def test_concurrent_bearer_requests_share_one_slow_jwks_fetch(wristband: FakeWristband) -> None:
    token = wristband.sign_access_token(issued_claims(wristband))
    wristband.inject("jwks", delay=DELAY, times=None)
    responses, elapsed = concurrently(CONCURRENT, lambda: bearer(token))
    assert [r.status_code for r in responses] == [200] * CONCURRENT
    assert len(wristband.calls("jwks")) == 1
    assert elapsed < DELAY + 0.8, elapsed  # one wait, not 6 x the delay


@pytest.mark.slow
def test_concurrent_bearer_requests_share_one_failing_slow_fetch(
    wristband: FakeWristband,
) -> None:
    """The review's case: a failing, slow JWKS made 6 requests queue for ~9 s."""
    token = wristband.sign_access_token(issued_claims(wristband))
    wristband.inject("jwks", status=500, delay=DELAY, times=None)
    responses, elapsed = concurrently(CONCURRENT, lambda: bearer(token))
    assert [r.status_code for r in responses] == [503] * CONCURRENT
    assert len(wristband.calls("jwks")) == 1
    assert elapsed < DELAY + 0.8, elapsed
    started = time.monotonic()
    assert bearer(token).status_code == 503  # during the backoff: at once, no call
    assert time.monotonic() - started < 0.5
    assert len(wristband.calls("jwks")) == 1


@pytest.mark.slow
def test_a_key_dropped_from_the_jwks_stops_working_after_the_ttl(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(jwks_cache_ttl=1)
    old = wristband.sign_access_token(issued_claims(wristband))
    assert bearer(old).status_code == 200
    fetched = time.monotonic()
    wristband.rotate_signing_key(keep_old=False)  # Wristband no longer publishes the old key
    assert bearer(old).status_code == 200  # still cached: within the TTL
    assert len(wristband.calls("jwks")) == 1
    time.sleep(max(0.0, fetched + 1.1 - time.monotonic()))
    response = bearer(old)
    assert response.status_code == 401 and response.json() == {"detail": REJECTED}
    assert len(wristband.calls("jwks")) == 2  # re-fetched once the TTL ran out
    new = wristband.sign_access_token(issued_claims(wristband))
    assert bearer(new).status_code == 200
    assert len(wristband.calls("jwks")) == 2


def test_rs256_bearer_with_an_unknown_kid_is_401_not_503(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    claims = issued_claims(wristband)
    assert bearer(wristband.sign_access_token(claims)).status_code == 200  # JWKS cached
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "kid_unpublished"})
    responses = [bearer(token) for _ in range(5)]
    assert [r.status_code for r in responses] == [401] * 5
    assert all(r.json() == {"detail": REJECTED} for r in responses)
    assert errors(caplog) == []
    assert len(wristband.calls("jwks")) == 2  # one re-fetch for the new kid, then none


def test_rs256_bearer_with_an_unknown_kid_after_a_key_rotation_is_401(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    """Wristband rotated its key and dropped the old one: the new key works, and a token
    naming a kid published nowhere is a 401 even when it makes us re-fetch the JWKS."""
    caplog.set_level(logging.DEBUG)
    claims = issued_claims(wristband)
    wristband.rotate_signing_key(keep_old=False)
    assert bearer(wristband.sign_access_token(claims)).status_code == 200
    forged = jwt.encode(
        claims,
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": wristband.current_kid + "x"},
    )
    assert bearer(forged).status_code == 401
    assert errors(caplog) == []


def test_id_token_with_an_unknown_kid_ends_the_login_cleanly(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wristband.override_id_token(kid="unknown-kid")
    response = log_in(APIClient(), wristband)
    assert response.status_code == 400
    assert b"invalid_id_token" in response.content and b"does not publish" in response.content
    assert errors(caplog) == []


# --- tenant custom domains -----------------------------------------------------------------


def test_random_custom_domains_make_at_most_a_burst_of_checks(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    login_host("tenant_name=acme")  # auto-configuration done before the clock starts
    started = time.monotonic()
    hosts = [login_host(f"tenant_custom_domain={random_domain()}") for _ in range(20)]
    elapsed = time.monotonic() - started
    assert all(host == wristband.vanity_domain for host in hosts)  # the application login
    refill = int(elapsed)  # default: 60 checks a minute, one more per second
    assert validations(wristband) <= MAX_CHECK_BURST + refill, elapsed
    skipped = [r for r in caplog.records if "without asking Wristband" in r.getMessage()]
    assert len(skipped) == 1  # at most once a minute


def test_the_bucket_follows_the_per_minute_setting(wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(custom_domain_checks_per_minute=3)
    for _ in range(20):
        login_host(f"tenant_custom_domain={random_domain()}")
    assert validations(wristband) == 3  # burst = the rate when it is below MAX_CHECK_BURST


def test_a_rejected_domain_asked_twice_is_checked_once(wristband: FakeWristband) -> None:
    for _ in range(3):
        host = login_host("tenant_custom_domain=evil.example.com&tenant_name=globex")
        assert host == wristband.tenant_host("globex")
    assert validations(wristband) == 1


@pytest.mark.fake_wristband(tenants=CUSTOM_DOMAIN_TENANTS)
def test_a_confirmed_domain_asked_twice_is_checked_once(wristband: FakeWristband) -> None:
    for _ in range(3):
        assert login_host("tenant_custom_domain=login.acme.test") == "login.acme.test"
    assert validations(wristband) == 1


@pytest.mark.slow
def test_cached_answers_expire_after_the_ttl(wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(custom_domain_cache_ttl=1)
    login_host("tenant_custom_domain=evil.example.com")
    login_host("tenant_custom_domain=evil.example.com")
    assert validations(wristband) == 1
    time.sleep(1.1)
    login_host("tenant_custom_domain=evil.example.com")
    assert validations(wristband) == 2


@pytest.mark.slow
@pytest.mark.fake_wristband(tenants=CUSTOM_DOMAIN_TENANTS)
def test_checks_back_off_while_wristband_fails(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    wristband.inject("validate_custom_domain", status=500, times=None)
    for _ in range(20):
        host = login_host("tenant_custom_domain=login.acme.test&tenant_name=globex")
        assert host == wristband.tenant_host("globex")  # unconfirmed: the next rule applies
    assert validations(wristband) <= 2
    skipped = [r for r in caplog.records if "without asking Wristband" in r.getMessage()]
    assert len(skipped) == 1
    assert "login.acme.test" in skipped[0].getMessage()
    # A failure is not remembered as a rejection: once Wristband answers, it is believed.
    wristband.clear_faults()
    deadline = time.monotonic() + 4
    while login_host("tenant_custom_domain=login.acme.test") != "login.acme.test":
        assert time.monotonic() < deadline, "never recovered"
        time.sleep(0.2)
