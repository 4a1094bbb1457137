"""Rolling sessions (``session_rolling_interval``): a Wristband session's expiry is renewed at
most once per interval, with one session write and one ``Set-Cookie``, and never on the
requests in between; never for a session that ended; and what ``SESSION_SAVE_EVERY_REQUEST``
costs beside it.

Time moves through the session's stored timestamp and the store's remaining lifetime
(``Store.age``: what the seconds would have done), not by sleeping. Writes are counted by the
store itself: a cache backend that logs its writes, the SQL statements, Redis's own counters.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.core import checks
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import AsyncClient, Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.sessions.rolling_cache import WRITES
from tests.sessions.rolling_views import held
from tests.support.auth_helpers import admin_client, expire_access_token, log_in, stored_session
from tests.support.redis_server import ThrowawayRedis
from wristband_django.checks import TAG
from wristband_django.conf import parse_auth_config
from wristband_django.flows.rolling import EXTENDED_AT
from wristband_django.store import session_entry
from wristband_django.store.locks import session_lock
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME
INTERVAL = 300
AGE = django_settings.SESSION_COOKIE_AGE  # Django's default, two weeks
COUNTING_LOCMEM = "tests.sessions.rolling_cache.CountingLocMemCache"
COUNTING_REDIS = "tests.sessions.rolling_cache.CountingRedisCache"

pytestmark = [
    pytest.mark.wristband_settings(protected_paths=["/api/"], session_rolling_interval=INTERVAL),
    pytest.mark.urls("tests.sessions.rolling_urls"),
]


@dataclass
class Store:
    """The session store under test, seen from the outside: its writes, its expiry, time."""

    engine: str  # "locmem", "redis" (django-redis) or "db"

    @contextmanager
    def writes(self) -> Iterator[list[str]]:
        """Collects the session writes the block makes: a cache ``set``/``add``/``touch`` of a
        session key, or an ``INSERT``/``UPDATE`` of ``django_session``."""
        found: list[str] = []
        if self.engine == "db":
            with CaptureQueriesContext(connection) as queries:
                yield found
            found += [
                query["sql"]
                for query in queries.captured_queries
                if query["sql"].split()[0].upper() in ("INSERT", "UPDATE")
                and "django_session" in query["sql"]
            ]
        else:
            WRITES.clear()
            yield found
            found += [f"{method} {key}" for method, key in WRITES.session_writes()]

    def holds(self, session_key: str) -> bool:
        """Whether the store has the session at all (any data, Wristband's or not)."""
        if self.engine == "db":
            return Session.objects.filter(session_key=session_key).exists()
        return bool(caches["default"].has_key(_cache_key(session_key)))

    def remaining_lifetime(self, client: Client) -> float:
        """Seconds until the store forgets the client's session."""
        store = _stored(client)
        key = store.session_key
        assert key is not None
        if self.engine == "db":
            expires = Session.objects.get(session_key=key).expire_date
            return (expires - timezone.now()).total_seconds()
        cache = caches["default"]
        if self.engine == "redis":
            return float(cache.ttl(_cache_key(key)))
        expires_at = cache._expire_info[cache.make_key(_cache_key(key))]  # type: ignore[attr-defined]
        return float(expires_at - time.time())

    def age(self, client: Client, seconds: int) -> int:
        """What ``seconds`` of time do to the stored session: its timestamp (last extended)
        moves back by ``seconds``, and so does its remaining lifetime. Returns the timestamp."""
        store = _stored(client)
        key = store.session_key
        assert key is not None
        extended_at = int(store.get(EXTENDED_AT, int(time.time()))) - seconds
        store[EXTENDED_AT] = extended_at
        store.save()
        if self.engine == "db":
            lifetime = timedelta(seconds=AGE - seconds)
            Session.objects.filter(session_key=key).update(expire_date=timezone.now() + lifetime)
        else:
            assert caches["default"].touch(_cache_key(key), AGE - seconds)
        return extended_at


def _stored(client: Client) -> SessionBase:
    store = stored_session(client)
    assert store is not None, "the client has no session cookie"
    return store


def _cache_key(session_key: str) -> str:
    return f"django.contrib.sessions.cache{session_key}"


@pytest.fixture(
    params=["locmem", pytest.param("redis", marks=pytest.mark.redis), "db"],
)
def store(request: pytest.FixtureRequest, settings: Any) -> Store:
    """Sessions on a LocMem cache, on Redis (django-redis) or in the database; the caches log
    their writes (tests/sessions/rolling_cache.py)."""
    engine: str = request.param
    if engine == "redis":
        redis_cache = request.getfixturevalue("redis_cache")
        settings.CACHES = {"default": {**redis_cache, "BACKEND": COUNTING_REDIS}}
    else:
        location = f"rolling-{uuid.uuid4().hex}"
        settings.CACHES = {"default": {"BACKEND": COUNTING_LOCMEM, "LOCATION": location}}
    settings.SESSION_ENGINE = (
        "django.contrib.sessions.backends.db"
        if engine == "db"
        else "django.contrib.sessions.backends.cache"
    )
    return Store(engine)


@pytest.fixture
def user(store: Store, wristband: FakeWristband) -> Client:
    """A browser logged in through Wristband, on the store under test."""
    client = Client()
    log_in(client, wristband)
    return client


def session_key_of(client: Client) -> str:
    return str(client.cookies[SESSION_COOKIE].value)


def cookie_expiry(response: Any) -> float:
    """When the session cookie the response sets expires (epoch seconds)."""
    return parsedate_to_datetime(response.cookies[SESSION_COOKIE]["expires"]).timestamp()


# --- the interval ---------------------------------------------------------------------------


def test_requests_within_the_interval_write_nothing_and_send_no_cookie(
    store: Store, user: Client
) -> None:
    assert isinstance(_stored(user).get(EXTENDED_AT), int)  # the login's own save set it
    with store.writes() as writes:
        responses = [user.get("/api/whoami/") for _ in range(20)]
    assert [r.status_code for r in responses] == [200] * 20
    assert writes == []
    assert all(SESSION_COOKIE not in r.cookies for r in responses)


def test_the_first_request_after_the_interval_writes_once_and_sends_a_fresh_cookie(
    store: Store, user: Client
) -> None:
    key = session_key_of(user)
    extended_at = store.age(user, INTERVAL + 1)
    started = time.time()
    with store.writes() as writes:
        response = user.get("/api/whoami/")
    assert response.status_code == 200
    assert len(writes) == 1, writes
    morsel = response.cookies[SESSION_COOKIE]
    assert morsel.value == key  # the same session, not a new one
    assert int(morsel["max-age"]) == AGE
    # The browser's cookie expired AGE after the last extension; this one AGE from now.
    assert cookie_expiry(response) >= started + AGE - 1
    assert cookie_expiry(response) - (extended_at + AGE) >= INTERVAL
    assert _stored(user)[EXTENDED_AT] >= int(started)
    with store.writes() as after:
        responses = [user.get("/api/whoami/") for _ in range(5)]
    assert after == []  # the next interval starts now
    assert all(SESSION_COOKIE not in r.cookies for r in responses)


def test_the_stores_expiry_is_renewed(store: Store, user: Client) -> None:
    store.age(user, INTERVAL + 1)
    assert store.remaining_lifetime(user) <= AGE - INTERVAL
    assert user.get("/api/whoami/").status_code == 200
    assert store.remaining_lifetime(user) >= AGE - 5


@pytest.mark.wristband_settings(session_rolling_interval=None)
def test_without_the_setting_nothing_changes(store: Store, user: Client) -> None:
    assert EXTENDED_AT not in _stored(user)  # not even the timestamp
    store.age(user, INTERVAL + 1)
    with store.writes() as writes:
        responses = [user.get("/api/whoami/") for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert writes == []
    assert all(SESSION_COOKIE not in r.cookies for r in responses)
    assert store.remaining_lifetime(user) <= AGE - INTERVAL  # not renewed


def test_a_view_that_saves_the_session_carries_the_timestamp_at_no_extra_write(
    store: Store, user: Client
) -> None:
    store.age(user, INTERVAL + 1)
    started = int(time.time())
    with store.writes() as writes:
        response = user.get("/api/cart/")
    assert response.status_code == 200 and SESSION_COOKIE in response.cookies
    assert len(writes) == 1, writes  # SessionMiddleware's own save, nothing more
    assert _stored(user)[EXTENDED_AT] >= started
    assert _stored(user)["cart"] == ["book"]
    with store.writes() as after:
        user.get("/api/whoami/")
    assert after == []


# --- only live Wristband logins roll ----------------------------------------------------------


def test_a_logout_in_the_same_request_is_not_undone(store: Store, user: Client) -> None:
    key = session_key_of(user)
    store.age(user, INTERVAL + 1)
    with store.writes() as writes:
        response = user.post("/auth/logout/")
    assert response.status_code == 302
    assert response.cookies[SESSION_COOKIE].value == ""  # SessionMiddleware deletes it
    assert writes == []  # no session written: neither the old one nor a new one
    assert not store.holds(key)
    assert user.get("/api/whoami/").status_code == 401


def log_out_during_a_request(user: Client) -> Any:
    """Another tab's request reads the session and waits in its view; the user logs out;
    then the request finishes. Returns its response."""
    held.reset()
    other_tab = Client()
    other_tab.cookies[SESSION_COOKIE] = session_key_of(user)
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(other_tab.get("/api/held/")))
    thread.start()
    try:
        assert held.entered.wait(10)  # the request holds the session as it was
        assert user.post("/auth/logout/").status_code == 302
    finally:
        held.release.set()
        thread.join(10)
    (answer,) = answers
    return answer


@pytest.mark.django_db(transaction=True)  # the database seen from two threads
def test_a_session_ended_while_a_request_is_in_its_view_is_not_resurrected(
    store: Store, user: Client
) -> None:
    """The request finishes with its roll due: nothing is written back, and no error."""
    key = session_key_of(user)
    store.age(user, INTERVAL + 1)
    answer = log_out_during_a_request(user)
    assert answer.status_code == 200
    assert SESSION_COOKIE not in answer.cookies
    assert not store.holds(key)


@pytest.mark.django_db(transaction=True)  # the database seen from two threads
def test_with_save_every_request_a_request_in_flight_at_logout_answers_400(
    store: Store, user: Client, settings: Any
) -> None:
    """Django's own guard, which docs/deployment.md describes: its save finds the session
    gone and raises SessionInterrupted (400), instead of writing it back."""
    key = session_key_of(user)
    settings.SESSION_SAVE_EVERY_REQUEST = True
    assert log_out_during_a_request(user).status_code == 400
    assert not store.holds(key)


def test_sessions_without_a_wristband_login_never_roll(
    store: Store, wristband: FakeWristband
) -> None:
    admin = admin_client()  # a Django login of its own, no Wristband entry
    with store.writes() as writes:
        responses = [admin.get("/open/") for _ in range(3)]
    assert [r.status_code for r in responses] == [200] * 3
    assert writes == []
    assert all(SESSION_COOKIE not in r.cookies for r in responses)
    assert EXTENDED_AT not in _stored(admin)


def test_a_server_error_does_not_roll(store: Store, user: Client) -> None:
    store.age(user, INTERVAL + 1)
    with store.writes() as writes:
        response = user.get("/api/broken/")
    assert response.status_code == 500
    assert writes == [] and SESSION_COOKIE not in response.cookies
    with store.writes() as writes:
        assert SESSION_COOKIE in user.get("/api/whoami/").cookies  # the next request rolls
    assert len(writes) == 1


def test_a_session_whose_lock_is_held_rolls_on_a_later_request(store: Store, user: Client) -> None:
    """A refresh or a logout in flight holds the session's lock: the roll does not wait for
    it (nor write without it); a later request rolls."""
    key = session_key_of(user)
    store.age(user, INTERVAL + 1)
    with session_lock(key, ttl=5, wait=0) as acquired:
        assert acquired
        with store.writes() as writes:
            response = user.get("/api/whoami/")
        assert response.status_code == 200
        assert writes == [] and SESSION_COOKIE not in response.cookies
    with store.writes() as writes:
        response = user.get("/api/whoami/")
    assert len(writes) == 1 and SESSION_COOKIE in response.cookies


@pytest.mark.django_db(transaction=True)  # the request runs in a thread of its own
def test_the_store_going_away_during_the_request_skips_the_roll(
    wristband: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis, caplog: Any
) -> None:
    """The view's answer stands (not a 500), nothing is claimed, and the cookie is kept."""
    settings.CACHES = {"default": throwaway_redis.cache_settings(0.5)}
    user = Client()
    log_in(user, wristband)
    Store("redis").age(user, INTERVAL + 1)
    held.reset()
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(user.get("/api/held/")))
    thread.start()
    try:
        assert held.entered.wait(10)
        throwaway_redis.kill()
    finally:
        held.release.set()
        thread.join(10)
    (answer,) = answers
    assert answer.status_code == 200
    assert SESSION_COOKIE not in answer.cookies  # neither renewed nor deleted
    assert "Could not extend the session's expiry" in caplog.text


def test_a_refresh_and_a_roll_in_one_request(store: Store, user: Client) -> None:
    """The refresh saves the session under the lock and releases it; the roll then saves it
    once more, from the store, with the refreshed tokens kept."""
    store.age(user, INTERVAL + 1)
    expired = expire_access_token(user)
    response = user.get("/api/whoami/")
    assert response.status_code == 200 and SESSION_COOKIE in response.cookies
    entry = session_entry.load(_stored(user))
    assert entry is not None and entry.access_token == response.json()["accessToken"]
    assert entry.access_token != expired.access_token
    assert store.remaining_lifetime(user) >= AGE - 5


@pytest.mark.django_db(transaction=True)  # the async client's requests run in another thread
def test_the_async_stack_rolls_too(store: Store, user: Client) -> None:
    store.age(user, INTERVAL + 1)

    async def scenario() -> list[Any]:
        client = AsyncClient()
        client.cookies = user.cookies
        return [await client.get("/api/async-whoami/") for _ in range(3)]

    with store.writes() as writes:
        responses = async_to_sync(scenario)()
    assert [r.status_code for r in responses] == [200] * 3
    assert len(writes) == 1
    assert [SESSION_COOKIE in r.cookies for r in responses] == [True, False, False]


# --- SESSION_SAVE_EVERY_REQUEST -------------------------------------------------------------


def test_save_every_request_writes_and_sends_the_cookie_on_every_request(
    store: Store, user: Client, settings: Any
) -> None:
    """Django's rolling expiry: a write and a Set-Cookie per request. The rolling interval
    adds nothing to it (and W007 says it has no effect)."""
    store.age(user, INTERVAL + 1)  # a roll would be due: it must not add a write
    settings.SESSION_SAVE_EVERY_REQUEST = True
    with store.writes() as writes:
        responses = [user.get("/api/whoami/") for _ in range(10)]
    assert [r.status_code for r in responses] == [200] * 10
    assert len(writes) == 10
    assert all(SESSION_COOKIE in r.cookies for r in responses)


def test_redis_commands_per_request(
    wristband: FakeWristband, settings: Any, throwaway_redis: ThrowawayRedis
) -> None:
    """On a Redis of the test's own, every command counted. Within the interval a request
    costs the session's GET alone. With SESSION_SAVE_EVERY_REQUEST each one also reads the
    newest-tokens record (the middleware, before the save), then Django's save checks the
    session exists (GET) and writes it (SET). A roll, once per interval, takes the session's
    lock (SET NX, released by a script), reads the session again, and saves it once."""
    settings.CACHES = {"default": {**throwaway_redis.cache_settings(), "BACKEND": COUNTING_REDIS}}
    server = redis.Redis.from_url(throwaway_redis.url)

    def calls() -> dict[str, int]:
        stats = server.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(s["calls"]) for name, s in stats.items()}

    def cost(requests: int, path: str = "/api/whoami/") -> dict[str, int]:
        before = calls()
        for _ in range(requests):
            assert user.get(path).status_code == 200
        after = calls()
        after.pop("info", None)
        return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}

    user = Client()
    log_in(user, wristband)
    assert cost(10) == {"get": 10}
    Store("redis").age(user, INTERVAL + 1)
    WRITES.clear()
    rolled = cost(1)
    assert [method for method, _ in WRITES.session_writes()] == ["set"]  # the session, once
    assert rolled["set"] == 2  # the session's, and the lock's SET NX
    assert rolled["evalsha"] >= 1  # the lock's release (a Lua script)
    assert cost(10) == {"get": 10}
    settings.SESSION_SAVE_EVERY_REQUEST = True
    assert cost(10) == {"get": 30, "set": 10}


# --- settings and checks --------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "60"])
def test_the_interval_is_a_whole_positive_number_of_seconds(settings: Any, value: Any) -> None:
    with pytest.raises(ImproperlyConfigured, match="session_rolling_interval"):
        parse_auth_config({**settings.WRISTBAND_AUTH, "session_rolling_interval": value})
    config = parse_auth_config({**settings.WRISTBAND_AUTH, "session_rolling_interval": 60})
    assert config.session_rolling_interval == 60


def check_ids() -> list[str]:
    return sorted(
        str(m.id)
        for m in checks.run_checks(tags=[TAG])
        if "E012" in str(m.id) or "W007" in str(m.id)
    )


def test_checks(settings: Any) -> None:
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "session_rolling_interval": 60}
    assert check_ids() == []
    settings.SESSION_COOKIE_AGE = 60
    assert check_ids() == ["wristband_django.E012"]
    settings.SESSION_COOKIE_AGE = 61
    assert check_ids() == []
    settings.SESSION_SAVE_EVERY_REQUEST = True
    assert check_ids() == ["wristband_django.W007"]
    [message] = [m for m in checks.run_checks(tags=[TAG]) if m.id == "wristband_django.W007"]
    assert "SESSION_SAVE_EVERY_REQUEST" in message.hint
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "session_rolling_interval": None}
    assert check_ids() == []
