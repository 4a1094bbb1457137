"""One refresh grant per expiry, even when an answer never comes (issue 22, point 10).

A refresh grant whose request may have reached Wristband and got no complete answer may have
been carried out: with rotation its refresh token is spent, and presenting it again revokes
the family. The dimension that let two grants through is *where the answer stops*: before
the request left (retried: nothing reached Wristband), after a complete error answer
(retried only for 5xx), or after the request left with no complete answer (never presented
again, by this refresh or any later one). These tests enumerate it: the failures before
sending, the answers cut at every stage (through a proxy that cuts them), the fake's
dropped, delayed and trickled answers, a grid of trickle by ``call_timeout`` by
``refresh_timeout`` by concurrent requests, a refresh whose lock is lost while it waits, and
a process killed while its grant is at Wristband. Grants are counted at the fake.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.refresh.refresh_answer_cutter import RefreshAnswerCutter
from tests.support import figures
from tests.support.auth_helpers import expire_access_token, log_in, stored_entry
from tests.support.gunicorn_server import server_env
from tests.support.network import free_port
from wristband_django.store import unanswered_refreshes
from wristband_django.store.locks import lock_cache, record_cache_key
from wristband_django.testing import FakeWristband
from wristband_django.testing.faults import Fault

ROOT = Path(__file__).resolve().parents[2]
SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME
API = "/api/whoami/"


def refresh_grants(fake: FakeWristband) -> int:
    return len(fake.calls("token", grant_type="refresh_token"))


def expired_session(fake: FakeWristband, settings: Any, **auth: Any) -> Client:
    """A logged-in client whose access token has expired, with these settings."""
    settings.WRISTBAND_AUTH = fake.auth_settings(protected_paths=["/api/"], **auth)
    user = Client(raise_request_exception=False)
    log_in(user, fake)
    expire_access_token(user)
    return user


def in_background(user: Client, answers: list[int]) -> threading.Thread:
    thread = threading.Thread(target=lambda: answers.append(user.get(API).status_code))
    thread.start()
    return thread


def assert_ended_after_one_grant(user: Client, fake: FakeWristband, response: Any) -> None:
    """The session ended with one grant: 401 now, 401 later, and no grant after the first."""
    assert response.status_code == 401, response.content
    assert response.cookies[SESSION_COOKIE]["max-age"] == 0
    assert refresh_grants(fake) == 1
    assert user.get(API).status_code == 401
    assert refresh_grants(fake) == 1


# --- the answer cut short after the grant left: one grant, the session ends ------------------


def _head(answer: bytes) -> int:
    return answer.index(b"\r\n\r\n") + 4


#: Where the proxy cuts the refresh's answer (bytes kept, from the whole answer).
CUTS: dict[str, Callable[[bytes], int]] = {
    "no byte": lambda answer: 0,
    "mid status line": lambda answer: 7,
    "mid headers": lambda answer: _head(answer) // 2,
    "headers only": _head,
    "half the body": lambda answer: (_head(answer) + len(answer)) // 2,
    "all but one byte": lambda answer: len(answer) - 1,
}
CUT_CASES = [pytest.param(cut, False, id=f"{cut}, closed") for cut in CUTS] + [
    pytest.param(cut, True, id=f"{cut}, reset") for cut in ("no byte", "half the body")
]


@pytest.mark.parametrize("keep", [False, True], ids=["default", "keep"])
@pytest.mark.parametrize(("cut", "reset"), CUT_CASES)
def test_an_answer_cut_short_is_never_followed_by_a_second_grant(
    wristband: FakeWristband, settings: Any, cut: str, reset: bool, keep: bool
) -> None:
    """Wristband carried out the grant (the fake rotated the token); the answer stops at
    every stage, closed or reset. Even with ``keep_session_when_wristband_unavailable``, the
    session ends at once: its refresh token can never be presented again."""
    with RefreshAnswerCutter() as cutter:
        user = expired_session(
            wristband, settings, proxy_url=cutter.url, keep_session_when_wristband_unavailable=keep
        )
        cutter.cut_after, cutter.reset = CUTS[cut], reset
        response = user.get(API)
        assert cutter.cuts == 1
        assert_ended_after_one_grant(user, wristband, response)


#: The fake's own shapes of "sent, and no usable answer" (read_timeout 0.3 s, call 0.6 s).
UNANSWERED = {
    "dropped": {"drop": True},
    "read timeout": {"delay": 1.0},
    "trickled past call_timeout": {"trickle": 2.0},
    "2xx that is not JSON": {"status": 200, "body": "<html>", "content_type": "text/html"},
}


@pytest.mark.parametrize("keep", [False, True], ids=["default", "keep"])
@pytest.mark.parametrize(
    "shape",
    [
        # The timed-out shapes wait out read_timeout or call_timeout: slow (seconds, in all).
        pytest.param(shape, marks=[pytest.mark.slow] if "time" in shape else [])
        for shape in UNANSWERED
    ],
)
def test_a_grant_with_no_usable_answer_is_presented_once(
    wristband: FakeWristband, settings: Any, shape: str, keep: bool
) -> None:
    user = expired_session(
        wristband,
        settings,
        read_timeout=0.3,
        call_timeout=0.6,
        refresh_timeout=2,
        keep_session_when_wristband_unavailable=keep,
    )
    wristband.inject("token", grant_type="refresh_token", times=None, **UNANSWERED[shape])
    response = user.get(API)
    assert_ended_after_one_grant(user, wristband, response)  # one grant: no retry


# --- what cannot have reached Wristband, and complete 5xx answers, are retried ---------------


def test_a_complete_5xx_answer_is_retried_and_the_session_goes_on(
    wristband: FakeWristband, settings: Any
) -> None:
    user = expired_session(wristband, settings)
    html = {"body": "<html>busy</html>", "content_type": "text/html"}
    wristband.inject("token", grant_type="refresh_token", status=503, **html)
    assert user.get(API).status_code == 200
    assert refresh_grants(wristband) == 2  # the 503, then the grant that worked
    expire_access_token(user)
    assert user.get(API).status_code == 200  # the stored refresh token is the newest
    assert refresh_grants(wristband) == 3


@pytest.mark.slow  # the proxy starts 0.3 s into the refresh
def test_a_proxy_that_refuses_until_it_starts_is_retried_into_one_grant(
    wristband: FakeWristband, settings: Any
) -> None:
    """Connections refused (by the proxy, before anything was sent) are retried within the
    refresh deadline; the one grant that reached Wristband refreshes the session."""
    port = free_port()
    cutter = RefreshAnswerCutter(port)
    user = expired_session(wristband, settings)  # logged in directly; the proxy comes next
    settings.WRISTBAND_AUTH = {
        **settings.WRISTBAND_AUTH,
        "proxy_url": f"http://127.0.0.1:{port}",
        "refresh_max_attempts": 6,
        "refresh_timeout": 4,
        "refresh_lock_timeout": 7,
    }
    starting = threading.Timer(0.3, cutter.start)
    starting.start()
    try:
        assert user.get(API).status_code == 200
    finally:
        starting.join()
        cutter.stop()
    assert refresh_grants(wristband) == 1


#: Failures before the request leaves: the settings that cause each (on top of the fake's).
BEFORE_SENDING: dict[str, Callable[[FakeWristband], dict[str, Any]]] = {
    "connection refused": lambda fake: {
        "wristband_application_vanity_domain": f"localhost:{free_port()}"
    },
    "host name does not resolve": lambda fake: {
        "wristband_application_vanity_domain": "wristband.invalid"
    },
    "TLS handshake fails": lambda fake: {"dangerously_allow_http_idp": False},  # https to http
    "proxy refuses": lambda fake: {"proxy_url": f"http://127.0.0.1:{free_port()}"},
    "proxy does not resolve": lambda fake: {"proxy_url": "http://proxy.invalid:3128"},
}


@pytest.mark.parametrize("failure", list(BEFORE_SENDING))
def test_a_failure_before_sending_keeps_the_session_with_its_token(
    wristband: FakeWristband, settings: Any, failure: str
) -> None:
    """With ``keep_session_when_wristband_unavailable``: 503 after the retry (one here: each
    waits 0.1-0.4 s), the session kept as it was (its refresh token was never presented),
    nothing reached the fake."""
    user = expired_session(wristband, settings, keep_session_when_wristband_unavailable=True)
    before = stored_entry(user)
    failing = {**BEFORE_SENDING[failure](wristband), "refresh_max_attempts": 2}
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, **failing}
    response = user.get(API)
    assert response.status_code == 503, response.content
    assert stored_entry(user) == before
    assert refresh_grants(wristband) == 0


# --- the grid: trickle by call_timeout by refresh_timeout by concurrent requests -----------


#: (call_timeout, refresh_timeout): the call cut first, with room for a retry (the reported
#: case: 2 s and 3 s); and the refresh deadline cutting first.
TIMINGS = [
    pytest.param(0.4, 1.0, id="call 0.4 s, refresh 1.0 s"),
    pytest.param(1.0, 0.6, id="call 1.0 s, refresh 0.6 s"),
]
TRICKLES: dict[str, Callable[[float, float], float]] = {
    "0.1 s (answered)": lambda call, refresh: 0.1,
    "1.5 x call_timeout": lambda call, refresh: 1.5 * call,
    "4 x refresh_timeout": lambda call, refresh: 4 * refresh,
}
CONCURRENT = (1, 2, 5)


def one_expiry(fake: FakeWristband, user: Client, trickle: float, concurrent: int) -> list[int]:
    """``concurrent`` requests on the expired session: the first, then the others while its
    refresh is at Wristband, then one more after all have ended; their statuses."""
    fault: Fault = fake.inject("token", trickle=trickle, grant_type="refresh_token")
    answers: list[int] = []
    threads = [in_background(user, answers)]
    assert fault.arrived.wait(5)
    threads += [in_background(user, answers) for _ in range(concurrent - 1)]
    for thread in threads:
        thread.join(15)
    return [*sorted(answers), user.get(API).status_code]


@pytest.mark.slow
@pytest.mark.parametrize("trickle", list(TRICKLES))
@pytest.mark.parametrize(("call_timeout", "refresh_timeout"), TIMINGS)
def test_one_grant_per_expiry_whatever_the_trickle_timeouts_and_concurrency(
    wristband: FakeWristband,
    settings: Any,
    trickle: str,
    call_timeout: float,
    refresh_timeout: float,
) -> None:
    seconds = TRICKLES[trickle](call_timeout, refresh_timeout)
    answered = seconds < min(call_timeout, refresh_timeout)
    table = []
    for keep in [False] if answered else [False, True]:
        for concurrent in CONCURRENT:
            user = expired_session(
                wristband,
                settings,
                call_timeout=call_timeout,
                refresh_timeout=refresh_timeout,
                refresh_lock_timeout=refresh_timeout + 3,
                keep_session_when_wristband_unavailable=keep,
            )
            before = refresh_grants(wristband)
            statuses = one_expiry(wristband, user, seconds, concurrent)
            expiries = 1
            if answered:  # the next expiry refreshes once more, from the stored token
                expire_access_token(user)
                statuses += one_expiry(wristband, user, 0.0, concurrent)
                expiries = 2
            grants = refresh_grants(wristband) - before
            table.append((keep, concurrent, statuses, grants, expiries))
            figures.count("single-grant grid: expiries", expiries)
            figures.count("single-grant grid: refresh grants", grants)
    print(f"\n{trickle}, call_timeout {call_timeout} s, refresh_timeout {refresh_timeout} s")
    for keep, concurrent, statuses, grants, _ in table:
        print(f"  keep={keep!s:5} requests={concurrent}+1 statuses={statuses} grants={grants}")
    expected = 200 if answered else 401
    for keep, concurrent, statuses, grants, expiries in table:
        assert statuses == [expected] * len(statuses), (keep, concurrent, statuses)
        assert grants == expiries, (keep, concurrent, grants)


# --- the record outlives the lock: a lost lock, a killed process -------------------------------


def test_a_refresh_that_lost_its_lock_is_not_followed_by_a_second_grant(
    wristband: FakeWristband, settings: Any
) -> None:
    """The lock is evicted while the grant waits at Wristband: the next request takes the
    lock, sees the token presented moments ago and answers 503 (the session kept) instead of
    presenting it; the first refresh then stores its tokens, and the session goes on."""
    user = expired_session(wristband, settings, refresh_timeout=3, refresh_lock_timeout=6)
    session_key = user.cookies[SESSION_COOKIE].value
    held = wristband.inject("token", hold=True, grant_type="refresh_token")
    answers: list[int] = []
    first = in_background(user, answers)
    try:
        assert held.arrived.wait(5)
        lock_cache().delete(record_cache_key("lock", session_key))  # evicted
        second = user.get(API)
        assert second.status_code == 503 and SESSION_COOKIE not in second.cookies
        assert refresh_grants(wristband) == 1
    finally:
        held.release()
        first.join(10)
    assert answers == [200]
    assert user.get(API).status_code == 200
    assert refresh_grants(wristband) == 1


@pytest.mark.slow
def test_a_process_killed_while_its_grant_is_at_wristband_is_not_followed_by_a_second_grant(
    wristband: FakeWristband, settings: Any, redis_cache: dict[str, str]
) -> None:
    """A worker process (sessions in Redis) presents the refresh token and is killed before
    the answer; Wristband carries the grant out. Once the dead worker's lock expires, the next
    request ends the session without presenting the token again."""
    settings.CACHES = {"default": redis_cache}
    auth = wristband.auth_settings(
        protected_paths=["/api/"],
        refresh_timeout=0.5,
        refresh_lock_timeout=3.5,
        track_sessions=False,  # the worker has no migrated database
    )
    settings.WRISTBAND_AUTH = auth
    user = Client(raise_request_exception=False)
    log_in(user, wristband)
    expire_access_token(user)
    held = wristband.inject("token", hold=True, grant_type="refresh_token")
    env = {**os.environ, **server_env(redis_cache, auth)}
    command = [sys.executable, "-m", "tests.support.outside_worker"]
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*command, user.cookies[SESSION_COOKIE].value],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert held.arrived.wait(30)  # the worker's grant is at Wristband
    finally:
        worker.kill()
        worker.wait(10)
    held.release()  # Wristband carries it out; nobody is left to read the answer
    # Wait for what decides, not for a time: the dead worker's lock has expired, and its
    # record is older than the window in which its owner might still have stored an answer
    # (a busy machine can take seconds between the worker's lock and its grant).
    session_key = user.cookies[SESSION_COOKIE].value
    entry = stored_entry(user)
    assert entry is not None
    window = auth["refresh_timeout"] + 1
    deadline = time.monotonic() + 30
    while lock_cache().has_key(record_cache_key("lock", session_key)) or (
        (unanswered_refreshes.seconds_since_presented(session_key, entry) or 0) <= window
    ):
        assert time.monotonic() < deadline, "the dead worker's lock or record never aged"
        time.sleep(0.05)
    response = user.get(API)
    assert_ended_after_one_grant(user, wristband, response)
