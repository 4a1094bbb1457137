"""Shared fixtures: the fake Wristband, and the Redis and Memcached guards.

The fake and the app's settings for it come from markers, on a test or a whole module::

    pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"], refresh_timeout=1)

    @pytest.mark.fake_wristband(rotate_refresh_tokens=False)  # FakeWristband's arguments
    def test_something(wristband: FakeWristband, logged_in: Client) -> None: ...
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from tests.support.auth_helpers import log_in
from tests.support.memcached_server import ThrowawayMemcached
from tests.support.redis_server import ThrowawayRedis
from wristband_django.testing import FakeWristband

pytest_plugins = ["wristband_django.testing.pytest_plugin"]

# "ci" is derandomised, so a failure there reproduces with the same examples anywhere;
# "thorough" (scripts/security_figures.py) explores new ones each run.
hypothesis_settings.register_profile("ci", max_examples=40, derandomize=True)
hypothesis_settings.register_profile("thorough", max_examples=1250)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
#: Markers whose tests must not be skipped (CI sets these): a skip fails the run.
REQUIRED = {
    marker
    for marker, variable in (
        ("redis", "WRISTBAND_REQUIRE_REDIS"),
        ("browser", "WRISTBAND_REQUIRE_BROWSER"),
        ("memcached", "WRISTBAND_REQUIRE_MEMCACHED"),
        ("proxy", "WRISTBAND_REQUIRE_PROXY"),
        ("sentinel", "WRISTBAND_REQUIRE_SENTINEL"),
        ("gettext", "WRISTBAND_REQUIRE_GETTEXT"),
        ("node", "WRISTBAND_REQUIRE_NODE"),
        ("mkdocs", "WRISTBAND_REQUIRE_MKDOCS"),  # set by tox's docs environment only
    )
    if os.environ.get(variable) == "1"
}
_skipped_required: list[str] = []


def redis_is_up(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_url() -> str:
    """The local Redis server; skips if it is down (CI fails on such a skip)."""
    if not redis_is_up():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


DJANGO_REDIS_BACKEND = "django_redis.cache.RedisCache"
#: Django's own Redis cache (Django 4.0+), no django-redis: no ``lock()``, redis-py's errors
#: unwrapped, lower-case redis-py ``OPTIONS``.
BUILTIN_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


def _prefixed_redis_cache(redis_url: str, backend: str) -> Iterator[dict[str, Any]]:
    """A cache config for ``backend`` with a key prefix of its own, whose keys are removed
    afterwards. No FLUSHDB: test runs (tox envs in parallel, CI beside a developer) share the
    server."""
    import redis

    prefix = f"wbtest-{uuid.uuid4().hex[:12]}"
    yield {"BACKEND": backend, "LOCATION": redis_url, "KEY_PREFIX": prefix}
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}:*", count=500):
        client.delete(key)


@pytest.fixture
def redis_cache(redis_url: str) -> Iterator[dict[str, Any]]:
    """A django-redis cache config with a key prefix of its own, removed afterwards."""
    yield from _prefixed_redis_cache(redis_url, DJANGO_REDIS_BACKEND)


@pytest.fixture
def builtin_redis_cache(redis_url: str) -> Iterator[dict[str, Any]]:
    """A config of Django's own ``RedisCache`` with a key prefix of its own, removed
    afterwards."""
    yield from _prefixed_redis_cache(redis_url, BUILTIN_REDIS_BACKEND)


@pytest.fixture
def throwaway_redis(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def memcached_server() -> Iterator[ThrowawayMemcached]:
    """One memcached of the test run's own on a free port; skips if the binary is missing
    (CI fails on such a skip). Tests share it, each with a key prefix of its own."""
    server = ThrowawayMemcached()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def memcached_cache(memcached_server: ThrowawayMemcached) -> dict[str, Any]:
    """A PyMemcacheCache config with a key prefix of its own and 0.5 s socket timeouts."""
    return memcached_server.cache_settings(key_prefix=f"wbtest-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def throwaway_memcached() -> Iterator[ThrowawayMemcached]:
    """A memcached for this test alone, to stop, pause and restart."""
    server = ThrowawayMemcached()
    server.start()
    yield server
    server.stop()


MEMCACHED_FIXTURES = {"memcached_server", "memcached_cache", "throwaway_memcached"}
REDIS_FIXTURES = {"redis_url", "redis_cache", "builtin_redis_cache", "throwaway_redis"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test may use the database (logins write a LoginSession row; pytest-django must
    see the mark at collection to create the test database). Every test that uses Redis or
    Memcached is marked, so CI can refuse to skip it."""
    for item in items:
        if item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db)
        fixtures = set(getattr(item, "fixturenames", ()))
        if REDIS_FIXTURES & fixtures:
            item.add_marker(pytest.mark.redis)
        if MEMCACHED_FIXTURES & fixtures:
            item.add_marker(pytest.mark.memcached)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and REQUIRED & set(report.keywords):
        _skipped_required.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.support import figures

    figures.write_if_requested()
    if _skipped_required:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"{len(_skipped_required)} test(s) that must run here were skipped "
                f"({', '.join(sorted(REQUIRED))} required), e.g. {_skipped_required[0]}",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


#: The ``session_backend`` parameters that are a cache server, and the fixture of each.
SERVER_CACHES = {
    "redis": "redis_cache",
    "redis-builtin": "builtin_redis_cache",
    "memcached": "memcached_cache",
}


@pytest.fixture(
    params=[
        "locmem",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("redis-builtin", marks=pytest.mark.redis),
        pytest.param("db", marks=pytest.mark.django_db),
        pytest.param("memcached", marks=pytest.mark.memcached),
    ],
)
def session_backend(request: pytest.FixtureRequest, settings: Any) -> str:
    """Run the test once per session store users deploy: LocMem cache, Redis through
    django-redis, Redis through Django's own RedisCache, database, Memcached (Django's
    PyMemcacheCache)."""
    backend: str = request.param
    if backend in SERVER_CACHES:
        settings.CACHES = {"default": request.getfixturevalue(SERVER_CACHES[backend])}
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    elif backend == "db":
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    return backend


@pytest.fixture
def wristband(fake_wristband: FakeWristband, wristband_settings: dict[str, Any]) -> FakeWristband:
    """The shipped plugin's fake Wristband, with ``WRISTBAND_AUTH`` pointed at it (the
    plugin's ``wristband_settings``): the suite's short name for the pair. Markers are the
    plugin's: ``@pytest.mark.fake_wristband(...)`` (``FakeWristband``'s arguments) and
    ``@pytest.mark.wristband_settings(...)`` (more ``WRISTBAND_AUTH`` keys)."""
    return fake_wristband


@pytest.fixture
def logged_in(wristband: FakeWristband) -> Client:
    """A client logged in (acme's admin) through the ``wristband`` fixture."""
    client = Client()
    log_in(client, wristband)
    return client
