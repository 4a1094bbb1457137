"""What an operator sees for each flow, through the real views and the fake Wristband: the
spans (login, callback, refresh, logout, each call to Wristband) with their attributes, and
the counters and histograms (logins, refresh outcomes, store outages, JWKS fetches, lock
waits, call durations)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from tests.support.auth_helpers import expire_access_token, log_in
from tests.telemetry.recording import Recording
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"], refresh_max_attempts=2)
KEEP = {"keep_session_when_wristband_unavailable": True}
TOKEN = "POST /api/v1/oauth2/token"


def children(recording: Recording, parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [
        span
        for span in recording.spans()
        if span.parent is not None and span.parent.span_id == parent.context.span_id
    ]


def only(recording: Recording, name: str) -> ReadableSpan:
    spans = recording.spans(name)
    assert len(spans) == 1, [span.name for span in recording.spans()]
    return spans[0]


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def acme_id(fake: FakeWristband) -> str:
    """Return the id of the tenant the tests log in to."""
    return next(tenant.id for tenant in fake.tenants if tenant.name == "acme")


def test_a_login_is_a_login_span_then_a_callback_span_with_its_calls_to_wristband(
    recording: Recording, wristband: FakeWristband
) -> None:
    assert log_in(Client(), wristband).status_code == 302
    assert attributes(only(recording, "wristband.login")) == {"wristband.login.step": "authorize"}
    callback = only(recording, "wristband.callback")
    assert attributes(callback) == {
        "wristband.login.outcome": "completed",
        "wristband.tenant.id": acme_id(wristband),
    }
    assert callback.status.status_code == StatusCode.UNSET
    calls = {span.attributes["wristband.call"]: span for span in children(recording, callback)}
    assert {"code_exchange", "jwks", "userinfo"} <= set(calls)
    exchange = calls["code_exchange"]
    assert exchange.name == TOKEN and exchange.kind == SpanKind.CLIENT
    assert attributes(exchange) == {
        "wristband.call": "code_exchange",
        "http.request.method": "POST",
        "server.address": "localhost",
        "server.port": wristband.port,
        "url.template": "/api/v1/oauth2/token",
        "http.response.status_code": 200,
        "wristband.attempt": 1,
    }
    assert recording.total("wristband.login.starts", **{"wristband.login.step": "authorize"}) == 1
    assert recording.total("wristband.logins", **{"wristband.login.outcome": "completed"}) == 1
    assert recording.total("wristband.jwks.fetches", **{"wristband.jwks.outcome": "fetched"}) == 1
    durations = recording.metric("wristband.call.duration")
    exchanges = [p for p in durations if p.attributes["wristband.call"] == "code_exchange"]
    assert len(exchanges) == 1 and exchanges[0].unit == "s"
    assert exchanges[0].attributes["http.response.status_code"] == 200
    assert exchanges[0].attributes["wristband.retry"] is False


def test_a_login_without_a_tenant_and_a_silent_one_say_where_they_went(
    recording: Recording, wristband: FakeWristband
) -> None:
    assert Client().get("/auth/login/").status_code == 302
    assert Client().get("/auth/login/?prompt=none").status_code == 302
    steps = [span.attributes["wristband.login.step"] for span in recording.spans("wristband.login")]
    assert steps == ["tenant_discovery", "not_logged_in"]


def test_a_callback_that_logs_no_one_in_counts_its_reason(
    recording: Recording, wristband: FakeWristband
) -> None:
    client = Client()
    response = client.get("/auth/callback/?code=abc&state=def")  # no login-state cookie
    assert response.status_code == 302
    callback = only(recording, "wristband.callback")
    assert attributes(callback) == {
        "wristband.login.outcome": "restart",
        "wristband.login.failure": "missing_login_state",
    }
    restarts = {
        "wristband.login.outcome": "restart",
        "wristband.login.failure": "missing_login_state",
    }
    assert recording.total("wristband.logins", **restarts) == 1
    assert recording.total("wristband.logins", **{"wristband.login.outcome": "completed"}) == 0


def test_a_refresh_records_its_outcome_its_call_and_the_wait_for_its_lock(
    recording: Recording, wristband: FakeWristband
) -> None:
    client = Client()
    log_in(client, wristband)
    expire_access_token(client)
    assert client.get("/api/whoami/").status_code == 200
    refresh = only(recording, "wristband.refresh")
    assert attributes(refresh) == {
        "wristband.refresh.outcome": "refreshed",
        "wristband.refresh.attempts": 1,
        "wristband.tenant.id": acme_id(wristband),
    }
    (grant,) = children(recording, refresh)
    assert grant.name == TOKEN and grant.attributes["wristband.call"] == "token_refresh"
    assert recording.total("wristband.refreshes", **{"wristband.refresh.outcome": "refreshed"}) == 1
    (wait,) = recording.metric("wristband.lock.wait.duration")
    assert wait.attributes == {"wristband.lock.purpose": "session", "wristband.lock.acquired": True}
    assert wait.unit == "s" and wait.value == 1


@pytest.mark.wristband_settings(**KEEP)
def test_a_refresh_kept_through_an_outage_shows_each_attempt_and_the_retry(
    recording: Recording, wristband: FakeWristband
) -> None:
    client = Client()
    log_in(client, wristband)
    expire_access_token(client)
    wristband.inject("token", status=503, times=None, grant_type="refresh_token")
    assert client.get("/api/whoami/").status_code == 503
    refresh = only(recording, "wristband.refresh")
    assert refresh.status.status_code == StatusCode.ERROR
    assert attributes(refresh) == {
        "wristband.refresh.outcome": "kept_through_outage",
        "wristband.refresh.attempts": 2,
        "error.type": "server_error",
    }
    grants = children(recording, refresh)
    assert [span.attributes["wristband.attempt"] for span in grants] == [1, 2]
    for grant in grants:
        assert grant.attributes["error.type"] == "503"
        assert grant.attributes["http.response.status_code"] == 503
        assert grant.status.status_code == StatusCode.ERROR
    kept = {"wristband.refresh.outcome": "kept_through_outage", "error.type": "server_error"}
    assert recording.total("wristband.refreshes", **kept) == 1
    retried = {"wristband.call": "token_refresh", "wristband.retry": True, "error.type": "503"}
    assert recording.total("wristband.call.duration", **retried) == 1


def test_a_refresh_wristband_refuses_ends_the_session(
    recording: Recording, wristband: FakeWristband
) -> None:
    client = Client()
    log_in(client, wristband)
    expire_access_token(client)
    wristband.inject(
        "token", status=400, json={"error": "invalid_grant"}, grant_type="refresh_token"
    )
    assert client.get("/api/whoami/").status_code == 401
    refresh = only(recording, "wristband.refresh")
    assert refresh.attributes["wristband.refresh.outcome"] == "ended"
    assert refresh.attributes["error.type"] == "invalid_grant"
    calls = [span.attributes["wristband.call"] for span in children(recording, refresh)]
    assert calls == ["token_refresh", "revoke"]  # the ended session's token is revoked
    ended = {"wristband.refresh.outcome": "ended", "error.type": "invalid_grant"}
    assert recording.total("wristband.refreshes", **ended) == 1


def test_an_error_code_that_is_not_a_code_is_recorded_as_other(
    recording: Recording, wristband: FakeWristband
) -> None:
    """Wristband's ``error`` is recorded only when it looks like a code: free text (which a
    proxy or a broken answer could fill with anything) becomes ``_OTHER``."""
    client = Client()
    log_in(client, wristband)
    expire_access_token(client)
    odd = {"error": "Refresh token eyJhbGciOi.xyz was revoked"}
    wristband.inject("token", status=400, json=odd, grant_type="refresh_token")
    assert client.get("/api/whoami/").status_code == 401
    assert only(recording, "wristband.refresh").attributes["error.type"] == "_OTHER"
    assert "eyJhbGciOi" not in recording.everything()


def test_a_logout_records_the_session_it_ended_and_its_revoke(
    recording: Recording, wristband: FakeWristband
) -> None:
    client = Client()
    log_in(client, wristband)
    assert client.post("/auth/logout/").status_code == 302
    logout = only(recording, "wristband.logout")
    assert attributes(logout) == {
        "wristband.logout.ended_session": True,
        "wristband.tenant.id": acme_id(wristband),
    }
    assert [span.attributes["wristband.call"] for span in children(recording, logout)] == ["revoke"]
    assert Client().post("/auth/logout/").status_code == 302  # no session: nothing ended
    assert attributes(recording.spans("wristband.logout")[1]) == {
        "wristband.logout.ended_session": False
    }


def test_a_store_that_does_not_answer_is_counted_by_each_operation_that_found_it_down(
    recording: Recording, wristband: FakeWristband, unreachable_store: dict[str, Any]
) -> None:
    client = Client()
    log_in(client, wristband)
    unreachable_store["down"] = True
    assert client.get("/api/whoami/").status_code == 503  # the middleware reads the session
    assert client.post("/auth/logout/").status_code == 503  # so does it here, then the view
    unreachable_store["down"] = False
    outages = recording.metric("wristband.store.outages")
    assert [(point.attributes, point.value) for point in outages] == [
        ({"wristband.store.operation": "session", "error.type": "ConnectionRefusedError"}, 2),
        ({"wristband.store.operation": "logout", "error.type": "ConnectionRefusedError"}, 1),
    ]
    logout = only(recording, "wristband.logout")
    assert logout.status.status_code == StatusCode.ERROR
    assert logout.attributes["error.type"] == "ConnectionRefusedError"


def test_a_store_that_does_not_answer_when_a_login_is_stored_is_counted_as_login(
    recording: Recording, wristband: FakeWristband, unreachable_store: dict[str, Any]
) -> None:
    client = Client()
    started = client.get("/auth/login/?tenant_name=acme")
    callback = wristband.authorize(started["Location"])
    unreachable_store["down"] = True
    response = client.get(callback.removeprefix("http://testserver"))
    unreachable_store["down"] = False
    assert response.status_code == 503
    completed = {"wristband.login.outcome": "completed"}  # Wristband's part was done
    assert recording.total("wristband.logins", **completed) == 1
    down = {"wristband.store.operation": "login", "error.type": "ConnectionRefusedError"}
    assert recording.total("wristband.store.outages", **down) == 1


def test_a_store_that_blinks_while_a_refresh_saves_is_counted_as_a_retried_write(
    recording: Recording, wristband: FakeWristband, unreachable_store: dict[str, Any]
) -> None:
    client = Client()
    log_in(client, wristband)
    expire_access_token(client)
    unreachable_store["failing_saves"] = 1
    assert client.get("/api/whoami/").status_code == 200  # retried, then saved
    blinks = {"wristband.store.operation": "retried_write", "error.type": "ConnectionRefusedError"}
    assert recording.total("wristband.store.outages", **blinks) == 1
    assert only(recording, "wristband.refresh").attributes["wristband.refresh.outcome"] == (
        "refreshed"
    )


def test_signing_keys_that_cannot_be_fetched_are_counted_and_fail_the_login_as_unavailable(
    recording: Recording, wristband: FakeWristband
) -> None:
    wristband.inject("jwks", status=503, times=None)
    assert log_in(Client(), wristband).status_code == 503
    failed = {"wristband.jwks.outcome": "failed", "error.type": "server_error"}
    assert recording.total("wristband.jwks.fetches", **failed) == 1
    callback = only(recording, "wristband.callback")
    assert callback.status.status_code == StatusCode.ERROR
    assert attributes(callback) == {
        "wristband.login.outcome": "error",
        "wristband.login.failure": "wristband_unavailable",
        "error.type": "wristband_unavailable",
    }
    jwks = [s for s in children(recording, callback) if s.attributes["wristband.call"] == "jwks"]
    assert [span.attributes["error.type"] for span in jwks] == ["503"]
