"""Session cookies that cannot be a session key (too long, spaces, control characters,
non-ASCII) and mutations of a valid one, on every session store: never a 500 or a 503, never
someone's session, no store round trip for a value that cannot be a key, and the valid
cookie keeps working."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.http import HttpResponse, parse_cookie
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.support import figures
from tests.support.auth_helpers import log_in
from tests.support.fuzzing import fuzz
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME
PROTECTED = "/api/whoami/"
UNPROTECTED = "/open/"
SESSION_ENDPOINT = "/auth/session/"

UNUSABLE = [
    pytest.param("a" * 300, id="300-chars"),
    pytest.param("k" * 251, id="251-chars"),
    pytest.param("abcdefgh ijklmnopqrstuvwxyz012345", id="space"),
    pytest.param("abcdefghijklmnopqrstuvwxyz012345 ", id="trailing-space"),
    pytest.param("abcdefgh\x00ijklmnop", id="nul"),
    pytest.param("abcdefgh\tijklmnop", id="tab"),
    pytest.param("abcdefgh\r\nSet-Cookie: x=1", id="crlf"),
    pytest.param("abcdefgh\x7fijklmnop", id="del"),
    pytest.param("\x01\x02\x03\x04\x05\x06\x07\x08\x1b", id="control-chars"),
    pytest.param("é" * 40, id="latin-1"),
    pytest.param("ключ" * 60, id="cyrillic-240-chars"),  # 480 bytes in UTF-8
    pytest.param("💥" * 10, id="emoji"),
    pytest.param("abcdefgh\u00a0ijklmnop", id="nbsp"),
    pytest.param('abc"de;fg,hi\\jklmnop', id="cookie-syntax"),
]

pytestmark = [
    pytest.mark.usefixtures("session_backend"),  # every test, on every session store
    pytest.mark.wristband_settings(protected_paths=["/api/"]),
]


def header_for(value: str) -> str:
    """The Cookie header carrying ``value`` as the WSGI environ holds it. ASCII values go
    through the test client's cookie jar (quoted: spaces, control characters and ``;``
    survive); others are sent raw in UTF-8, as browsers do (lone surrogates as the invalid
    bytes they would be), decoded as ISO-8859-1 as a WSGI server hands them to Django."""
    if value.isascii():
        jar: SimpleCookie = SimpleCookie()
        jar[SESSION_COOKIE] = value
        return f"{SESSION_COOKIE}={jar[SESSION_COOKIE].coded_value}"
    return f"{SESSION_COOKIE}={value}".encode("utf-8", "surrogatepass").decode("latin-1")


def as_the_server_reads_it(value: str) -> str | None:
    """The session cookie Django parses from ``header_for(value)``."""
    header = header_for(value).encode("latin-1").decode("utf-8", "replace")
    return parse_cookie(header).get(SESSION_COOKIE)


def get_with_cookie(path: str, value: str) -> HttpResponse:
    client = Client(raise_request_exception=False)
    response: HttpResponse = client.get(path, HTTP_COOKIE=header_for(value))
    return response


@pytest.mark.parametrize("value", UNUSABLE)
def test_an_unusable_session_cookie_is_no_session_on_every_path(
    wristband: FakeWristband, value: str
) -> None:
    assert as_the_server_reads_it(value) == value  # the value reaches Django as it is
    for path, expected in ((PROTECTED, 401), (SESSION_ENDPOINT, 401), (UNPROTECTED, 200)):
        response = get_with_cookie(path, value)
        assert response.status_code == expected, (path, response.status_code, response.content)
        assert response.cookies[SESSION_COOKIE].value == ""  # expired: the browser drops it
        if path == UNPROTECTED:
            assert response.json() == {"userId": None}


@pytest.mark.parametrize(
    "session_backend",
    [pytest.param("memcached", marks=pytest.mark.memcached), "db"],
    indirect=True,
)
def test_an_unusable_cookie_costs_no_store_round_trip(
    wristband: FakeWristband, session_backend: str, request: pytest.FixtureRequest
) -> None:
    """Memcached's own counters, and the database's queries, for the cookies above (the
    check comes before any store is chosen, so it holds for the others too)."""
    values = [param.values[0] for param in UNUSABLE] + ["short", "sh0rt;;;"]
    if session_backend == "memcached":
        server = request.getfixturevalue("memcached_server")
        before = server.stats()
        for value in values:
            assert get_with_cookie(PROTECTED, value).status_code == 401
        after = server.stats()
        assert after["cmd_get"] == before["cmd_get"]
        assert after["cmd_set"] == before["cmd_set"]
        assert get_with_cookie(PROTECTED, "a" * 32).status_code == 401
        assert server.stats()["cmd_get"] == after["cmd_get"] + 1  # a plausible key: one read
    else:
        with CaptureQueriesContext(connection) as queries:
            for value in values:
                assert get_with_cookie(PROTECTED, value).status_code == 401
        assert not [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def test_the_valid_cookie_works_beside_unusable_ones(wristband: FakeWristband) -> None:
    client = Client()
    log_in(client, wristband)
    valid = client.cookies[SESSION_COOKIE].value
    for param in UNUSABLE:
        assert get_with_cookie(PROTECTED, param.values[0]).status_code == 401
        assert get_with_cookie(PROTECTED, valid + param.values[0]).status_code == 401
    response = get_with_cookie(PROTECTED, valid)
    assert response.status_code == 200 and response.json()["userId"] == "usr_acme_admin"


# -- fuzzing: mutations of a valid, logged-in session cookie -------------------------------

odd_characters = st.one_of(
    st.sampled_from(
        [" ", ";", ",", "=", '"', "\\", "\x00", "\t", "\r\n", "\x7f", "\u00a0", "\u2028",
         "é", "ß", "💥", "ключ", "%00", "%20", "+", "/", ".."]
    ),
    st.text(min_size=1, max_size=6),
    st.characters(),
)  # fmt: skip
mutation = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 40)),
    st.tuples(st.just("extend"), st.one_of(odd_characters, st.text(max_size=60))),
    st.tuples(st.just("prepend"), odd_characters),
    st.tuples(st.just("flip"), st.integers(0, 40), st.characters()),
    st.tuples(st.just("insert"), st.integers(0, 40), odd_characters),
    st.tuples(st.just("delete"), st.integers(0, 40)),
    st.tuples(st.just("swapcase"), st.integers(0, 40)),
    st.tuples(st.just("upper")),
    st.tuples(st.just("repeat"), st.integers(2, 200)),
    st.tuples(st.just("pad"), st.integers(90, 5000), st.sampled_from(["a", "0", " ", "é"])),
)
PATHS = [PROTECTED, SESSION_ENDPOINT, UNPROTECTED]


def mutate(value: str, step: tuple[Any, ...]) -> str:
    kind, *args = step
    at = args[0] % (len(value) + 1) if args and isinstance(args[0], int) else 0
    if kind == "truncate":
        return value[: args[0]]
    if kind == "extend":
        return value + args[0]
    if kind == "prepend":
        return args[0] + value
    if kind == "flip":
        return value[:at] + args[1] + value[at + 1 :]
    if kind == "insert":
        return value[:at] + args[1] + value[at:]
    if kind == "delete":
        return value[:at] + value[at + 1 :]
    if kind == "swapcase":
        return value[:at] + value[at : at + 1].swapcase() + value[at + 1 :]
    if kind == "upper":
        return value.upper()
    if kind == "repeat":
        return value * args[0]
    assert kind == "pad"
    return value + args[1] * args[0]


@pytest.mark.slow
@fuzz
@given(steps=st.lists(mutation, min_size=1, max_size=3), path=st.sampled_from(PATHS))
def test_a_mutated_session_cookie_never_500s_and_never_gets_a_session(
    logged_in: Client, steps: list[tuple[Any, ...]], path: str
) -> None:
    valid = logged_in.cookies[SESSION_COOKIE].value
    mutated = valid
    for step in steps:
        mutated = mutate(mutated, step)
    assume(as_the_server_reads_it(mutated) != valid)  # else it is the valid cookie, not a mutant

    response = get_with_cookie(path, mutated)
    figures.count("fuzz inputs tried")
    figures.count("500s", int(response.status_code >= 500))
    assert response.status_code < 500, (response.status_code, response.content)
    got_a_session = response.status_code == 200 and response.json().get("userId") is not None
    figures.count("sessions created from bad input", int(got_a_session))
    assert not got_a_session
    assert response.status_code == (200 if path == UNPROTECTED else 401)

    still = get_with_cookie(SESSION_ENDPOINT, valid)
    lost = still.status_code != 200
    figures.count("valid sessions lost", int(lost))
    assert not lost, (still.status_code, still.content)
