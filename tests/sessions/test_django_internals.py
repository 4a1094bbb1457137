"""The Django internals ``wristband_django.store.django_internals`` relies on, checked against
the installed Django (tox runs this on every supported version): if Django changes them,
these tests fail first, and nothing else in the package touches them."""

from __future__ import annotations

import ast
from collections import Counter
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, SessionBase
from django.core.cache import caches
from django.core.cache.backends.memcached import PyMemcacheCache
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.test import RequestFactory

from wristband_django.store import django_internals
from wristband_django.store.access import session_store

PACKAGE = Path(django_internals.__file__).resolve().parents[1]
CACHE_ENGINES = [
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
]
KEYED_ENGINES = [*CACHE_ENGINES, "django.contrib.sessions.backends.db"]
#: The private names only django_internals.py may use.
PRIVATE_NAMES = {
    "_session_cache",
    "_session_key",
    "_cache",
    "cache_key_prefix",
    "_cached_user",
    "_acached_user",
    "_dont_enforce_csrf_checks",
}


@pytest.fixture(params=KEYED_ENGINES)
def engine(request: pytest.FixtureRequest, settings: Any, db: Any) -> str:
    settings.SESSION_ENGINE = request.param
    return str(request.param)


def saved_session(data: dict[str, Any]) -> SessionBase:
    session = session_store()
    session.update(data)
    session.save()
    return session


def test_a_loaded_session_is_not_read_again(engine: str, django_assert_num_queries: Any) -> None:
    key = saved_session({"stored": 1}).session_key
    assert key is not None
    session = session_store(key)
    django_internals.set_loaded_session(session, {"given": 2})
    with django_assert_num_queries(0):
        assert dict(session.items()) == {"given": 2}
    assert session.session_key == key and not session.modified


def test_a_forgotten_key_is_no_session(engine: str) -> None:
    """What the backends do for a key the store does not know: the middleware then deletes
    the browser's cookie (an empty session) and a save makes a new key."""
    key = saved_session({"stored": 1}).session_key
    session = session_store(key)
    django_internals.forget_session_key(session)
    django_internals.set_loaded_session(session, {})
    assert session.session_key is None and session.is_empty()
    session["new"] = 1
    session.save()
    assert session.session_key not in (None, key)


def test_a_new_key_is_drawn_as_create_draws_it_and_written_once(engine: str) -> None:
    session = session_store()
    session["new"] = 1
    django_internals.save_under_new_key(session)
    key = session.session_key
    assert key is not None and len(key) == 32 and set(key) <= set(VALID_KEY_CHARS)
    assert dict(session_store(key).items()) == {"new": 1}
    again = session_store()
    again["other"] = 2
    django_internals.save_under_new_key(again)
    assert again.session_key not in (None, key)


def test_a_taken_key_is_refused_not_overwritten(engine: str) -> None:
    """What ``save_under_new_key`` relies on: ``save(must_create=True)`` of a key that exists
    raises ``CreateError`` and leaves the stored session alone."""
    key = saved_session({"stored": 1}).session_key
    assert key is not None
    intruder = session_store(key)
    django_internals.set_loaded_session(intruder, {"intruder": 1})
    with pytest.raises(CreateError):
        intruder.save(must_create=True)
    assert dict(session_store(key).items()) == {"stored": 1}


@pytest.mark.parametrize("session_engine", CACHE_ENGINES)
def test_the_session_cache_and_key_are_where_django_stores_the_session(
    settings: Any, db: Any, session_engine: str
) -> None:
    settings.SESSION_ENGINE = session_engine
    session = saved_session({"stored": 1})
    key = session.session_key
    assert key is not None
    cache = django_internals.session_cache(session_store(key))
    assert cache is caches[settings.SESSION_CACHE_ALIAS]
    assert cache.get(django_internals.engine_cache_key(session_store(key), key)) == {"stored": 1}


def test_without_a_cache_backend_the_session_cache_is_the_alias(settings: Any) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    assert django_internals.session_cache(session_store()) is caches[settings.SESSION_CACHE_ALIAS]
    assert django_internals.engine_cache_key(session_store(), "k") == "k"


def test_the_memcached_client_is_found_once_made_and_not_made_by_looking(settings: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "mc": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": ["127.0.0.1:9", "127.0.0.1:10"],  # nothing listens there
            "OPTIONS": {"connect_timeout": 0.2, "timeout": 0.2},
        },
    }
    cache = caches["mc"]
    assert isinstance(cache, PyMemcacheCache)
    assert django_internals.cache_client(cache) is None
    with suppress(Exception):
        cache.get("k")
    client = django_internals.cache_client(cache)
    assert client is not None
    # store.access reads pymemcache's HashClient bookkeeping of failed and dead servers.
    assert isinstance(client._failed_clients, dict) and isinstance(client._dead_clients, dict)  # type: ignore[attr-defined]


def test_the_user_set_is_what_authentication_middleware_and_auser_give(
    rf: RequestFactory,
) -> None:
    """Set before Django's AuthenticationMiddleware runs (or after), the user stays."""
    request = rf.get("/")
    request.session = session_store()
    user = AnonymousUser()
    django_internals.set_request_user(request, user)
    AuthenticationMiddleware(lambda request: HttpResponse()).process_request(request)
    assert request.user.is_anonymous and request.user == user
    assert async_to_sync(request.auser)() is user


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_request_told_to_skip_the_csrf_middleware_is_not_checked(
    rf: RequestFactory, method: str
) -> None:
    request = rf.generic(method, "/")
    view = lambda request: HttpResponse()  # noqa: E731
    middleware = CsrfViewMiddleware(view)
    middleware.process_request(request)
    assert middleware.process_view(request, view, (), {}).status_code == 403
    request = rf.generic(method, "/")
    django_internals.skip_csrf_middleware(request)
    middleware.process_request(request)
    assert middleware.process_view(request, view, (), {}) is None


def _private_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    strings = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    return (names | strings) & PRIVATE_NAMES


def test_no_other_module_touches_those_internals() -> None:
    touching = {
        str(path.relative_to(PACKAGE)): _private_names(path)
        for path in PACKAGE.rglob("*.py")
        if path.name != "django_internals.py" and "testing" not in path.parts
    }
    assert {path: names for path, names in touching.items() if names} == {}


def test_new_keys_are_uniform_over_djangos_key_characters() -> None:
    """One read of the OS's randomness per key, and still every character uniform over
    ``VALID_KEY_CHARS``: over 3,000 keys (96,000 characters, about 2,667 per character),
    every character's count is within 15% of that, and no key repeats."""
    keys = [django_internals.random_session_key() for _ in range(3000)]
    assert len(set(keys)) == len(keys)
    assert all(len(key) == 32 and set(key) <= set(VALID_KEY_CHARS) for key in keys)
    counts = Counter("".join(keys))
    expected = 3000 * 32 / len(VALID_KEY_CHARS)
    assert set(counts) == set(VALID_KEY_CHARS)
    assert all(abs(count - expected) < 0.15 * expected for count in counts.values())
