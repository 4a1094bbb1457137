"""The outbound auth bound to a user's session, against a real downstream API on 127.0.0.1
that validates tokens with ``validate_access_token``: in a view (the request's session) and
in a background job (the session key); with ``requests``, ``httpx`` and async ``httpx``.

A token the API refuses (revoked) is refreshed once, through the middleware's single-flight
refresh, and the call retried once; a second 401 reaches the caller; ten callers refused at
once make one refresh; no token reaches the log.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from django.test import Client

from tests.outbound.calling import LIBRARIES, call, refreshes, session_key
from tests.outbound.downstream import DownstreamApi
from tests.support.auth_helpers import stored_entry
from tests.support.leaks import leaked, secrets_seen
from wristband_django import sessions
from wristband_django.contrib.outbound.tokens import SessionKeyTokens
from wristband_django.errors import SessionEndedError
from wristband_django.testing import FakeWristband, expire_access_token

pytestmark = pytest.mark.urls("tests.outbound.urls")

VIEWS = {
    "requests": "/orders/requests/",
    "httpx": "/orders/httpx/",
    "async-httpx": "/orders/async-httpx/",
}


def current_token(client: Client) -> str:
    entry = stored_entry(client)
    assert entry is not None, "the client is not logged in"
    return entry.access_token


def statuses(client: Client, library: str, calls: int = 1) -> list[int]:
    """Call the view of ``library``, which calls the API ``calls`` times; its statuses."""
    response = client.get(VIEWS[library], {"calls": calls})
    assert response.status_code == 200, response.content
    found: list[int] = response.json()["statuses"]
    return found


# --- a view, with the request's session ----------------------------------------------------


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_view_calls_the_api_with_the_users_token(
    library: str, logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    assert statuses(logged_in, library) == [200]
    assert api.tokens() == [current_token(logged_in)]
    assert api.received[0].path == "/v1/orders"
    assert refreshes(wristband) == 0


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_revoked_token_is_refreshed_once_and_the_call_retried(
    library: str, logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    old = current_token(logged_in)
    api.revoke(old)

    assert statuses(logged_in, library, calls=2) == [200, 200]

    new = current_token(logged_in)  # kept in the session
    assert new != old
    assert api.statuses() == [401, 200, 200]
    assert api.tokens() == [old, new, new]  # the request's second call used the new token
    assert refreshes(wristband) == 1
    assert statuses(logged_in, library) == [200]  # the next request too, with no refresh
    assert (api.tokens()[-1], refreshes(wristband)) == (new, 1)


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_second_401_is_returned_after_exactly_one_refresh(
    library: str, logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    old = current_token(logged_in)
    api.refuse_all = True

    assert statuses(logged_in, library) == [401]

    assert api.statuses() == [401, 401]
    assert api.tokens() == [old, current_token(logged_in)]  # still logged in, new token
    assert refreshes(wristband) == 1


def test_a_session_revoked_at_wristband_ends_and_the_401_stands(
    logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    api.revoke(current_token(logged_in))
    wristband.revoke_all()  # its refresh token too: the refresh fails (invalid_grant)

    assert statuses(logged_in, "requests") == [401]

    assert api.statuses() == [401]  # no retry: there is no other token
    assert refreshes(wristband) == 1
    assert stored_entry(logged_in) is None  # logged out
    response = logged_in.get(VIEWS["requests"])
    assert (response.status_code, response.json()) == (401, {"error": "session_ended"})
    assert len(api.received) == 1  # nothing sent without a session


@pytest.mark.wristband_settings(scopes=["openid", "email", "profile", "roles"])
def test_a_session_without_a_refresh_token_gets_the_401_and_stays(
    logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    entry = stored_entry(logged_in)
    assert entry is not None and not entry.refresh_token  # no offline_access
    api.revoke(entry.access_token)

    assert statuses(logged_in, "httpx") == [401]

    assert (len(api.received), refreshes(wristband)) == (1, 0)  # nothing to renew it with
    assert stored_entry(logged_in) == entry  # still logged in


def test_a_request_without_a_session_sends_nothing(api: DownstreamApi, client: Client) -> None:
    response = client.get(VIEWS["httpx"])
    assert (response.status_code, response.json()) == (401, {"error": "session_ended"})
    assert api.received == []


# --- a background job, with the session key ------------------------------------------------


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_job_renews_the_sessions_token_once_per_401(
    library: str, logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    source = SessionKeyTokens(session_key(logged_in))
    orders = f"{api.url}/v1/orders"
    first = current_token(logged_in)
    assert call(library, source, orders) == 200
    api.revoke(first)

    assert call(library, source, orders) == 200  # 401, refresh, retry

    second = current_token(logged_in)
    assert api.tokens() == [first, first, second]
    assert refreshes(wristband) == 1
    api.refuse_all = True
    assert call(library, source, orders) == 401  # 401, refresh, 401: returned
    assert api.tokens()[3:] == [second, current_token(logged_in)]
    assert refreshes(wristband) == 2


def test_a_job_whose_session_ended_gets_the_401_then_session_ended(
    logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    source = SessionKeyTokens(session_key(logged_in))
    api.revoke(current_token(logged_in))
    wristband.revoke_all()

    assert call("httpx", source, f"{api.url}/v1/orders") == 401
    with pytest.raises(SessionEndedError):
        call("httpx", source, f"{api.url}/v1/orders")
    assert (len(api.received), refreshes(wristband)) == (1, 1)


def test_ten_jobs_refused_at_once_make_one_refresh(
    logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    key, orders = session_key(logged_in), f"{api.url}/v1/orders"
    old = current_token(logged_in)
    api.revoke(old)
    api.hold_refusals(10)  # each 401 is answered once all ten have been refused
    results: list[int] = []

    def job() -> None:
        results.append(call("requests", SessionKeyTokens(key), orders))

    threads = [threading.Thread(target=job) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert results == [200] * 10
    assert refreshes(wristband) == 1
    new = current_token(logged_in)
    assert sorted(api.statuses()) == [200] * 10 + [401] * 10
    assert set(api.tokens()) == {old, new}


def test_a_renewal_uses_the_token_another_refresh_got_without_refreshing_again(
    logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    key = session_key(logged_in)
    old = current_token(logged_in)
    api.revoke(old)

    def another_request_refreshes() -> None:  # while the 401 is on its way
        api.before_refusal = None
        expire_access_token(logged_in)
        sessions.access_token(key)

    api.before_refusal = another_request_refreshes

    assert call("requests", SessionKeyTokens(key), f"{api.url}/v1/orders") == 200

    assert refreshes(wristband) == 1  # the other one's
    assert api.tokens() == [old, current_token(logged_in)]
    assert SessionKeyTokens(key).renew(old) == current_token(logged_in)  # no refresh either
    assert refreshes(wristband) == 1


# --- the log --------------------------------------------------------------------------------


def test_no_token_reaches_the_log(
    logged_in: Client, api: DownstreamApi, wristband: FakeWristband, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    api.revoke(current_token(logged_in))
    assert statuses(logged_in, "requests") == [200]
    api.refuse_all = True
    assert statuses(logged_in, "async-httpx") == [401]
    assert call("httpx", SessionKeyTokens(session_key(logged_in)), f"{api.url}/x") == 401

    host = "127.0.0.1 answered 401"
    assert f"{host}; retrying once with a renewed access token" in caplog.text
    assert f"{host} to the renewed access token too" in caplog.text
    seen = secrets_seen(wristband, [logged_in]) | {t for t in api.tokens() if t}
    seen.add(session_key(logged_in))
    assert len(seen) > 5
    assert leaked(caplog.text, seen) == []
