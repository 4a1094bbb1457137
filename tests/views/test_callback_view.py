"""The Callback endpoint: each edge case restarts, shows an error, or creates one session."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.support.auth_helpers import (
    finish_login,
    log_in,
    login_cookies,
    query_of,
    start_login,
    stored_entry,
)
from tests.support.restart_urls import without_restart
from wristband_django.flows import login_state
from wristband_django.testing import FakeTenant, FakeWristband

pytestmark = pytest.mark.usefixtures("wristband")


def assert_no_session(client: Client) -> None:
    assert stored_entry(client) is None
    assert client.get("/auth/session/").status_code == 401


def test_full_login_creates_one_namespaced_session(
    client: Client, wristband: FakeWristband, session_backend: str
) -> None:
    before = time.time() * 1000
    response = log_in(
        client, wristband, "tenant_name=acme&return_url=/home", user="admin@acme.test"
    )
    assert response.status_code == 302 and response["Location"] == "/home"
    assert "no-store" in response["Cache-Control"]
    entry = stored_entry(client)
    assert entry is not None
    assert entry.user_id == "usr_acme_admin" and entry.tenant_id == "tnt_acme"
    assert entry.tenant_name == "acme" and entry.idp_name == "wristband"
    assert entry.userinfo["email"] == "admin@acme.test"
    assert entry.refresh_token and entry.access_token
    assert not hasattr(entry, "id_token")  # validated, its claims kept; the token is not
    expected = before + (wristband.access_token_ttl - 60) * 1000
    assert expected - 5000 <= entry.expires_at <= expected + 5000
    session = client.get("/auth/session/").json()
    assert session == {
        "userId": "usr_acme_admin",
        "tenantId": "tnt_acme",
        "metadata": {
            "email": "admin@acme.test",
            "name": "Acme Admin",
            "tenant_name": "acme",
            "idp_name": "wristband",
        },
    }


def test_code_exchange_sends_the_verifier_and_the_same_redirect_uri(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client)
    finish_login(client, wristband, started["Location"])
    (exchange,) = wristband.calls("token", grant_type="authorization_code")
    assert exchange.form["redirect_uri"] == query_of(started["Location"])["redirect_uri"]
    assert exchange.form["code_verifier"]  # the fake checks it against the challenge


def test_callback_clears_its_login_state_cookie(client: Client, wristband: FakeWristband) -> None:
    started = start_login(client)
    (name,) = login_cookies(started)
    response = finish_login(client, wristband, started["Location"])
    assert login_cookies(response)[name]["max-age"] == 0


def test_session_key_is_cycled_at_login(client: Client, wristband: FakeWristband) -> None:
    client.get("/auth/session/")
    session = client.session
    session["before"] = "login"
    session.save()
    old_key = session.session_key
    log_in(client, wristband)
    new_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert client.session["before"] == "login"  # same user's own data survives the cycle


def test_logging_in_as_another_user_drops_the_previous_users_data(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband, user="admin@acme.test")
    session = client.session
    session["cart"] = "admin's"
    session.save()
    log_in(client, wristband, user="member@acme.test")
    assert "cart" not in client.session
    assert stored_entry(client).user_id == "usr_acme_member"  # type: ignore[union-attr]


def test_replayed_callback_url_creates_no_session(client: Client, wristband: FakeWristband) -> None:
    started = start_login(client)
    callback_url = wristband.authorize(started["Location"])
    parts = urlsplit(callback_url)
    client.get(f"{parts.path}?{parts.query}")  # the real one
    attacker = Client()
    replay = attacker.get(f"{parts.path}?{parts.query}")
    assert replay.status_code == 302 and "code=" not in replay["Location"]
    assert_no_session(attacker)


def test_replay_in_the_same_browser_with_a_fresh_state_cookie_is_refused(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client)
    callback_url = wristband.authorize(started["Location"])
    parts = urlsplit(callback_url)
    client.get(f"{parts.path}?{parts.query}")
    client.cookies.clear()
    # Re-plant the same login state: the code was used, so Wristband says invalid_grant.
    ((name, morsel),) = login_cookies(started).items()
    client.cookies[name] = morsel.value
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/auth/login/?tenant_name=acme")
    assert_no_session(client)


def test_missing_login_state_restarts_for_the_tenant_wristband_named(
    client: Client, wristband: FakeWristband
) -> None:
    response = client.get("/auth/callback/?code=abc&state=nope&tenant_name=globex")
    assert response.status_code == 302
    assert (
        without_restart(response["Location"]) == "http://testserver/auth/login/?tenant_name=globex"
    )
    assert_no_session(client)


def test_missing_login_state_without_tenant_goes_to_tenant_discovery(
    client: Client, wristband: FakeWristband
) -> None:
    response = client.get("/auth/callback/?code=abc&state=nope")
    assert response["Location"] == f"{wristband.base_url}/login?client_id={wristband.client_id}"


@pytest.mark.fake_wristband(tenants=[FakeTenant("acme", custom_domain="login.acme.test")])
def test_restart_without_login_state_goes_through_our_login_which_checks_the_domain(
    client: Client, wristband: FakeWristband
) -> None:
    """The callback asks Wristband nothing without a login state; our Login endpoint, where
    the restart goes, confirms a custom domain before it sends anyone there."""
    response = client.get("/auth/callback/?state=x&code=y&tenant_custom_domain=login.acme.test")
    assert (
        without_restart(response["Location"])
        == "http://testserver/auth/login/?tenant_custom_domain=login.acme.test"
    )
    assert urlsplit(client.get(response["Location"])["Location"]).netloc == "login.acme.test"
    response = client.get("/auth/callback/?state=x&code=y&tenant_custom_domain=evil.test")
    login = client.get(response["Location"])
    assert urlsplit(login["Location"]).netloc == wristband.vanity_domain  # tenant discovery


def test_mismatched_state_restarts(client: Client, wristband: FakeWristband) -> None:
    started = start_login(client, "tenant_name=acme&return_url=/after")
    callback_url = wristband.authorize(started["Location"])
    response = client.get(
        "/auth/callback/?" + urlsplit(callback_url).query.replace("state=", "state=x")
    )
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/auth/login/?tenant_name=acme")
    assert_no_session(client)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda value: value[:-2] + ("AA" if not value.endswith("AA") else "BB"),
        lambda value: "not-base64-$$$",
        lambda value: "",
        lambda value: value[:10],
        lambda value: "A" * 5000,
    ],
)
def test_tampered_login_state_restarts_never_500(
    client: Client, wristband: FakeWristband, tamper: Any
) -> None:
    started = start_login(client)
    ((name, morsel),) = login_cookies(started).items()
    client.cookies[name] = tamper(morsel.value)
    response = finish_login(client, wristband, started["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/auth/login/?tenant_name=acme")
    assert_no_session(client)


def test_login_state_sealed_with_another_secret_restarts(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    started = start_login(client)
    settings.WRISTBAND_AUTH = wristband.auth_settings(login_state_secret="n" * 40)
    response = finish_login(client, wristband, started["Location"])
    assert response["Location"].startswith("http://testserver/auth/login/")
    assert_no_session(client)


def test_rotated_login_state_secret_still_opens_pending_logins(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(login_state_secret="o" * 40)
    started = start_login(client)
    settings.WRISTBAND_AUTH = wristband.auth_settings(login_state_secret=["n" * 40, "o" * 40])
    assert finish_login(client, wristband, started["Location"])["Location"] == "/"
    assert stored_entry(client) is not None


def test_expired_login_state_restarts(client: Client, wristband: FakeWristband) -> None:
    started = start_login(client)
    ((name, morsel),) = login_cookies(started).items()
    old = login_state.decrypt(morsel.value, name, (wristband.client_secret,))
    assert old is not None
    stale = replace(old, created_at_ms=old.created_at_ms - 3601 * 1000)
    client.cookies[name] = login_state.encrypt(stale, name, (wristband.client_secret,))
    response = finish_login(client, wristband, started["Location"])
    assert response["Location"].startswith("http://testserver/auth/login/?tenant_name=acme")
    assert_no_session(client)


def test_login_required_error_restarts_with_the_return_url(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "tenant_name=acme&return_url=/x")
    callback_url = wristband.authorize(started["Location"], error="login_required")
    response = client.get("/auth/callback/?" + urlsplit(callback_url).query)
    assert (
        without_restart(response["Location"])
        == "http://testserver/auth/login/?tenant_name=acme&return_url=%2Fx"
    )


def test_other_wristband_errors_show_an_escaped_error_page(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client)
    callback_url = wristband.authorize(
        started["Location"], error="access_denied", error_description="<b>Nope</b> & no"
    )
    response = client.get("/auth/callback/?" + urlsplit(callback_url).query)
    assert response.status_code == 400
    assert b"access_denied" in response.content
    assert b"&lt;b&gt;Nope&lt;/b&gt; &amp; no" in response.content
    assert "no-store" in response["Cache-Control"]
    assert_no_session(client)


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"claims": {"nonce": "other"}}, b"nonce"),
        ({"claims": {"iss": "https://evil.example"}}, b"InvalidIssuer"),
        ({"claims": {"aud": "another-client"}}, b"InvalidAudience"),
        ({"claims": {"exp": 1_000_000}}, b"ExpiredSignature"),
        ({"remove_claims": ["iat"]}, b"MissingRequiredClaim"),
        ({"alg": "none"}, b"RS256"),
        ({"sign_with": "foreign"}, b"InvalidSignature"),
        ({"kid": "unknown-kid"}, b"does not publish"),
    ],
)
def test_invalid_id_tokens_store_nothing_and_show_an_error(
    client: Client, wristband: FakeWristband, override: dict[str, Any], reason: bytes
) -> None:
    wristband.override_id_token(**override)
    response = log_in(client, wristband)
    assert response.status_code == 400
    assert b"invalid_id_token" in response.content and reason in response.content
    assert_no_session(client)


def test_signing_key_rotation_refetches_the_jwks_once(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband)
    wristband.rotate_signing_key()
    other = Client()
    assert log_in(other, wristband)["Location"] == "/"
    assert len(wristband.calls("jwks")) == 2


def test_userinfo_failure_shows_an_error_and_stores_nothing(
    client: Client, wristband: FakeWristband
) -> None:
    wristband.inject("userinfo", status=500, body="<html>oops</html>", content_type="text/html")
    response = log_in(client, wristband)
    assert response.status_code == 503
    assert_no_session(client)


def test_token_endpoint_garbage_is_an_error_not_a_500(
    client: Client, wristband: FakeWristband
) -> None:
    wristband.inject("token", status=200, json={"access_token": 5}, grant_type="authorization_code")
    response = log_in(client, wristband)
    assert response.status_code == 400
    assert b"invalid_token_response" in response.content
    assert_no_session(client)


def test_duplicate_callback_parameters_are_rejected(client: Client) -> None:
    assert client.get("/auth/callback/?state=a&state=b&code=c").status_code == 400
