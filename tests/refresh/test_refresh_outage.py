"""When Wristband is down at refresh time. By default a refresh that still fails after its
retries (5xx, refused or dropped connections, timeouts) ends the session, as Wristband's docs
say; with ``keep_session_when_wristband_unavailable`` every entry point answers 503 with
``Retry-After`` instead, the session is kept, and it refreshes once Wristband is back.
``invalid_grant`` and other 4xx end the session in both modes."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.test import AsyncClient, Client

from tests.support.auth_helpers import expire_access_token, log_in, stored_entry
from wristband_django.errors import RETRY_AFTER_SECONDS, WristbandUnavailableError
from wristband_django.flows.refresh import OUTAGE_BACKOFF_SECONDS
from wristband_django.sessions import SessionEndedError, access_token, get_session
from wristband_django.store.access import session_store
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME
WRISTBAND_MIDDLEWARE = "wristband_django.middleware.WristbandAuthMiddleware"
KEEP = {"keep_session_when_wristband_unavailable": True}

#: One attempt per refresh unless a test is about the retries: what follows an attempt that
#: failed does not depend on how many there were, and each retry waits 0.1-0.4 s.
ONE_ATTEMPT = {"refresh_max_attempts": 1}
pytestmark = pytest.mark.wristband_settings(
    protected_paths=["/api/"], read_timeout=0.3, **KEEP, **ONE_ATTEMPT
)


def refreshes(fake: FakeWristband) -> int:
    return len(fake.calls("token", grant_type="refresh_token"))


def wristband_down(fake: FakeWristband) -> None:
    """Every refresh gets 503 with an HTML body, until cleared."""
    fake.inject(
        "token",
        status=503,
        body="<html>Service Unavailable</html>",
        content_type="text/html",
        times=None,
        grant_type="refresh_token",
    )


def expired_session(client: Client, fake: FakeWristband) -> dict[str, Any]:
    log_in(client, fake)
    return asdict(expire_access_token(client))


def assert_kept(client: Client, before: dict[str, Any], response: Any) -> None:
    """The session is still there, as it was, and the browser's cookie was left alone."""
    assert SESSION_COOKIE not in response.cookies
    entry = stored_entry(client)
    assert entry is not None and asdict(entry) == before


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert b"accessToken" not in response.content


# --- keep_session_when_wristband_unavailable: what the user sees --------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503, "body": "<html>busy</html>", "content_type": "text/html"},
        {"status": 500},
        # Dropped connections and read timeouts after sending end the session instead
        # (the grant may have been carried out): tests/refresh/test_refresh_single_grant.py.
    ],
    ids=["503-html", "500"],
)
@pytest.mark.wristband_settings(refresh_max_attempts=3)
def test_a_refresh_wristband_cannot_answer_is_503_and_the_session_is_kept(
    client: Client, wristband: FakeWristband, caplog: pytest.LogCaptureFixture, fault: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    before = expired_session(client, wristband)
    wristband.inject("token", times=None, grant_type="refresh_token", **fault)
    response = client.get("/api/whoami/")
    assert_unavailable(response)
    assert response.json()["error"] == "wristband_unavailable"
    assert refreshes(wristband) == 3  # after the retries
    assert_kept(client, before, response)
    assert "keeping the session" in caplog.text
    for value in (before["access_token"], before["refresh_token"], *wristband.issued_id_tokens()):
        assert value not in caplog.text


def test_a_session_waits_before_its_next_try_at_wristband(
    client: Client, wristband: FakeWristband, session_backend: str
) -> None:
    before = expired_session(client, wristband)
    wristband_down(wristband)
    assert_unavailable(client.get("/api/whoami/"))
    assert refreshes(wristband) == 1
    started = time.monotonic()
    again = client.get("/api/whoami/")  # within Retry-After: 503 at once, Wristband not asked
    assert_unavailable(again)
    assert time.monotonic() - started < 0.2
    assert refreshes(wristband) == 1
    assert_kept(client, before, again)
    other = Client()  # another session is not held back by this one's failure
    expired_session(other, wristband)
    assert_unavailable(other.get("/api/whoami/"))
    assert refreshes(wristband) == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "invalid_grant", "error_description": "revoked"}),
        (400, {"error": "invalid_request"}),
        (401, {"error": "invalid_client"}),
    ],
)
def test_4xx_still_ends_the_session_at_once(
    client: Client, wristband: FakeWristband, status: int, body: dict[str, str]
) -> None:
    expired_session(client, wristband)
    key = client.cookies[SESSION_COOKIE].value
    wristband.inject("token", status=status, json=body, grant_type="refresh_token")
    response = client.get("/api/whoami/")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert refreshes(wristband) == 1
    assert not session_store().exists(key)
    assert response.cookies[SESSION_COOKIE]["max-age"] == 0


def test_a_revoked_family_still_ends_the_session(client: Client, wristband: FakeWristband) -> None:
    expired_session(client, wristband)
    wristband.revoke_all()
    assert client.get("/api/whoami/").status_code == 401
    assert stored_entry(client) is None


# Every entry point: (URLconf, path, with the middleware?). The decorator, the mixin, the
# endpoints, DRF and ninja classes are asked with and without the middleware before them.
ROUTES = [
    ("tests.support.urls", "/api/whoami/"),  # the middleware's protected_paths
    ("tests.support.urls", "/decorated/"),
    ("tests.support.urls", "/decorated-page/"),  # redirect_to_login=True: 503 all the same
    ("tests.support.urls", "/async-decorated/"),
    ("tests.support.urls", "/mixin/"),
    ("tests.support.urls", "/async-mixin/"),
    ("tests.support.urls", "/either/"),  # session, then bearer
    ("tests.support.urls", "/auth/session/"),
    ("tests.support.urls", "/auth/token/"),
    ("tests.support.drf_urls", "/drf/session/"),
    ("tests.support.drf_urls", "/drf/both/"),
    ("tests.support.ninja_api", "/ninja/session"),
    ("tests.support.ninja_api", "/ninja/async-session"),
]
ENTRY_POINTS = [
    pytest.param(urls, path, middleware, id=f"{path}{'' if middleware else '-alone'}")
    for urls, path in ROUTES
    for middleware in (True, False)
    if middleware or path != "/api/whoami/"
]


@pytest.mark.parametrize(("urls", "path", "middleware"), ENTRY_POINTS)
def test_every_entry_point_answers_503_and_keeps_the_session(
    client: Client,
    wristband: FakeWristband,
    settings: Any,
    urls: str,
    path: str,
    middleware: bool,
) -> None:
    settings.ROOT_URLCONF = urls
    if not middleware:
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != WRISTBAND_MIDDLEWARE]
    before = expired_session(client, wristband)
    wristband_down(wristband)
    response = client.get(path)
    assert_unavailable(response)
    assert refreshes(wristband) == 1  # one refresh per request, whoever asks
    assert_kept(client, before, response)


def test_the_async_stack_answers_503_and_keeps_the_session(
    client: Client, wristband: FakeWristband
) -> None:
    before = expired_session(client, wristband)
    wristband_down(wristband)

    async def scenario() -> list[Any]:
        browser = AsyncClient()
        browser.cookies = client.cookies
        paths = ("/api/async-whoami/", "/async-decorated/", "/async-mixin/", "/open/")
        return [await browser.get(path) for path in paths]

    *unavailable, page = async_to_sync(scenario)()
    for response in unavailable:
        assert_unavailable(response)
        assert_kept(client, before, response)
    assert page.status_code == 200 and page.json() == {"userId": None}
    assert refreshes(wristband) == 1  # the first request's attempt; then the back-off


def test_a_page_off_the_protected_paths_renders_anonymous_and_keeps_the_session(
    client: Client, wristband: FakeWristband
) -> None:
    before = expired_session(client, wristband)
    wristband_down(wristband)
    response = client.get("/open/")
    assert response.status_code == 200 and response.json() == {"userId": None}
    assert_kept(client, before, response)


def test_the_api_outside_a_request_raises_wristband_unavailable(
    client: Client, wristband: FakeWristband
) -> None:
    before = expired_session(client, wristband)
    key = client.cookies[SESSION_COOKIE].value
    wristband_down(wristband)
    with pytest.raises(WristbandUnavailableError):
        access_token(key)
    assert refreshes(wristband) == 1
    with pytest.raises(WristbandUnavailableError):
        get_session(key)  # within the back-off: Wristband not asked again
    assert refreshes(wristband) == 1
    entry = stored_entry(client)
    assert entry is not None and asdict(entry) == before


@pytest.mark.wristband_settings(keep_session_when_wristband_unavailable=False)
def test_by_default_the_api_outside_a_request_ends_the_session(
    client: Client, wristband: FakeWristband
) -> None:
    expired_session(client, wristband)
    key = client.cookies[SESSION_COOKIE].value
    wristband_down(wristband)
    with pytest.raises(SessionEndedError):
        access_token(key)
    assert refreshes(wristband) == 1
    assert not session_store().exists(key)


@pytest.mark.slow
def test_once_wristband_is_back_the_session_refreshes_once(
    client: Client, wristband: FakeWristband
) -> None:
    before = expired_session(client, wristband)
    key = client.cookies[SESSION_COOKIE].value
    wristband_down(wristband)
    assert_unavailable(client.get("/api/whoami/"))
    failed_at = time.monotonic()
    wristband.clear_faults()  # Wristband is back
    time.sleep(max(0.0, failed_at + OUTAGE_BACKOFF_SECONDS + 0.1 - time.monotonic()))
    calls = refreshes(wristband)
    response = client.get("/api/whoami/")
    assert response.status_code == 200
    token = response.json()["accessToken"]
    assert token != before["access_token"] and refreshes(wristband) == calls + 1
    assert access_token(key) == token and client.get("/api/whoami/").status_code == 200
    assert refreshes(wristband) == calls + 1


# --- figures: 20 sessions through an outage, in each mode --------------------------------


SESSIONS = 20


def round_of_requests(clients: list[Client]) -> tuple[list[Any], float]:
    """One request per session, all at once; the answers and the slowest one's seconds."""
    barrier = threading.Barrier(len(clients))
    answers: list[Any] = [None] * len(clients)
    slowest = [0.0]

    def call(index: int) -> None:
        barrier.wait()
        started = time.monotonic()
        answers[index] = clients[index].get("/api/whoami/")
        slowest[0] = max(slowest[0], time.monotonic() - started)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers, slowest[0]


def statuses(answers: list[Any]) -> dict[int, int]:
    counted: dict[int, int] = {}
    for answer in answers:
        counted[answer.status_code] = counted.get(answer.status_code, 0) + 1
    return counted


@pytest.mark.slow
@pytest.mark.parametrize("keep", [False, True], ids=["default", "keep"])
def test_figures_twenty_sessions_through_an_outage(
    wristband: FakeWristband, settings: Any, keep: bool
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        protected_paths=["/api/"], keep_session_when_wristband_unavailable=keep
    )
    clients = [Client() for _ in range(SESSIONS)]
    for client in clients:
        expired_session(client, wristband)
    wristband_down(wristband)

    calls = refreshes(wristband)
    during, slowest = round_of_requests(clients)  # the outage starts
    window_calls = refreshes(wristband) - calls
    failed_at = time.monotonic()
    again, again_slowest = round_of_requests(clients)  # still in it
    again_calls = refreshes(wristband) - calls - window_calls
    ended = sum(stored_entry(client) is None for client in clients)

    wristband.clear_faults()  # Wristband is back
    time.sleep(max(0.0, failed_at + OUTAGE_BACKOFF_SECONDS + 0.1 - time.monotonic()))
    calls = refreshes(wristband)
    after, _ = round_of_requests(clients)
    after_calls = refreshes(wristband) - calls
    later, _ = round_of_requests(clients)
    later_calls = refreshes(wristband) - calls - after_calls

    print(  # the figures docs/middleware-and-refresh.md quotes
        f"\nkeep_session_when_wristband_unavailable={keep}, {SESSIONS} sessions: "
        f"outage: {statuses(during)} in {slowest:.2f} s max, {window_calls} refresh calls; "
        f"again: {statuses(again)} in {again_slowest:.3f} s max, {again_calls} calls; "
        f"sessions ended: {ended}; back: {statuses(after)}, {after_calls} refresh calls; "
        f"then: {statuses(later)}, {later_calls} calls"
    )
    if keep:
        assert statuses(during) == statuses(again) == {503: SESSIONS}
        assert all(a["Retry-After"] == str(RETRY_AFTER_SECONDS) for a in during + again)
        assert window_calls == 3 * SESSIONS and again_calls == 0
        assert ended == 0
        assert statuses(after) == statuses(later) == {200: SESSIONS}
        assert after_calls == SESSIONS and later_calls == 0  # exactly one refresh each
    else:
        assert statuses(during) == statuses(again) == {401: SESSIONS}
        assert window_calls == 3 * SESSIONS and again_calls == 0
        assert ended == SESSIONS
        assert statuses(after) == {401: SESSIONS} and after_calls == 0
