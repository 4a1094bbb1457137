"""Logout (POST + CSRF, revoke, flush, Wristband logout URL) and the Session and Token endpoints."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client

from tests.support.auth_helpers import log_in, query_of
from wristband_django.store import session_entry
from wristband_django.store.access import session_store
from wristband_django.testing import FakeTenant, FakeWristband

pytestmark = pytest.mark.usefixtures("wristband")


def session_key(client: Client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def stored_tokens(client: Client) -> dict[str, str]:
    entry = session_entry.load(client.session)
    assert entry is not None and entry.refresh_token
    return {"access_token": entry.access_token, "refresh_token": entry.refresh_token}


def session_exists(key: str) -> bool:
    return bool(session_store().exists(key))


@pytest.fixture
def csrf_client() -> Client:
    """A browser-like client: Django's CSRF checks are enforced."""
    return Client(enforce_csrf_checks=True)


def csrf_header(client: Client) -> dict[str, str]:
    """Visit a page with a form, as a browser would before posting it."""
    client.get("/page/")
    return {"HTTP_X_CSRFTOKEN": client.cookies[django_settings.CSRF_COOKIE_NAME].value}


def test_logout_ends_everything_and_goes_to_wristband(
    csrf_client: Client, wristband: FakeWristband, session_backend: str
) -> None:
    log_in(csrf_client, wristband, user="admin@acme.test")
    key = session_key(csrf_client)
    assert session_exists(key)
    refresh_token = stored_tokens(csrf_client)["refresh_token"]
    response = csrf_client.post(
        "/auth/logout/", {"state": "bye & see you"}, **csrf_header(csrf_client)
    )
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert url.netloc == wristband.tenant_host("acme") and url.path == "/api/v1/logout"
    assert query_of(response["Location"]) == {
        "client_id": wristband.client_id,
        "state": "bye & see you",
    }
    assert "state=bye+%26+see+you" in url.query  # encoded, not pasted
    assert not session_exists(key)  # gone from the store, not just from the cookie
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie.value == "" and cookie["max-age"] == 0
    (revoke,) = wristband.calls("revoke")
    assert revoke.form["token"] == refresh_token
    assert csrf_client.get("/auth/session/").status_code == 401


def test_logout_without_csrf_token_is_refused(
    csrf_client: Client, wristband: FakeWristband
) -> None:
    log_in(csrf_client, wristband)
    csrf_header(csrf_client)  # the cookie alone is not enough
    response = csrf_client.post("/auth/logout/")
    assert response.status_code == 403
    assert csrf_client.get("/auth/session/").status_code == 200  # still logged in
    assert not wristband.calls("revoke")


SAME_SITE_NAVIGATION = {
    "HTTP_SEC_FETCH_SITE": "same-origin",
    "HTTP_SEC_FETCH_MODE": "navigate",
    "HTTP_SEC_FETCH_DEST": "document",
}


def test_logout_by_get_needs_the_setting(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    log_in(client, wristband)
    assert client.get("/auth/logout/", **SAME_SITE_NAVIGATION).status_code == 405
    assert client.get("/auth/session/").status_code == 200
    settings.WRISTBAND_AUTH = wristband.auth_settings(allow_logout_get=True)
    response = client.get("/auth/logout/", **SAME_SITE_NAVIGATION)
    assert response.status_code == 302 and "/api/v1/logout" in response["Location"]
    assert client.get("/auth/session/").status_code == 401


@pytest.mark.wristband_settings(allow_logout_get=True)
@pytest.mark.parametrize(
    "fetch",
    [
        {"HTTP_SEC_FETCH_SITE": "none", "HTTP_SEC_FETCH_MODE": "navigate"},  # typed, bookmark
        {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_SEC_FETCH_MODE": "navigate"},
    ],
    ids=["typed", "same-site"],
)
def test_a_get_logout_the_user_or_the_site_started_logs_out(
    client: Client, wristband: FakeWristband, fetch: dict[str, str]
) -> None:
    log_in(client, wristband)
    assert client.get("/auth/logout/", **fetch).status_code == 302
    assert client.get("/auth/session/").status_code == 401


@pytest.mark.wristband_settings(allow_logout_get=True)
@pytest.mark.parametrize(
    "fetch",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_SEC_FETCH_MODE": "navigate"},  # a link
        {
            "HTTP_SEC_FETCH_SITE": "cross-site",
            "HTTP_SEC_FETCH_MODE": "no-cors",
            "HTTP_SEC_FETCH_DEST": "image",
        },  # an <img>
        {
            "HTTP_SEC_FETCH_SITE": "same-origin",
            "HTTP_SEC_FETCH_MODE": "no-cors",
            "HTTP_SEC_FETCH_DEST": "image",
        },  # an <img> on a page of this site (user content)
        {
            "HTTP_SEC_FETCH_SITE": "same-origin",
            "HTTP_SEC_FETCH_MODE": "navigate",
            "HTTP_SEC_FETCH_DEST": "iframe",
        },  # framed
        {},  # a browser without Fetch Metadata, or not a browser
    ],
    ids=["cross-site link", "cross-site image", "same-site image", "iframe", "no metadata"],
)
def test_any_other_get_logout_only_asks_to_confirm(
    wristband: FakeWristband, fetch: dict[str, str]
) -> None:
    client = Client(enforce_csrf_checks=True)
    log_in(client, wristband)
    page = client.get("/auth/logout/?state=bye", **fetch)
    assert page.status_code == 200 and b"Log out?" in page.content
    assert client.get("/auth/session/").status_code == 200  # still logged in
    assert b'name="csrfmiddlewaretoken"' in page.content
    csrf = client.cookies["csrftoken"].value
    confirmed = client.post("/auth/logout/", {"state": "bye", "csrfmiddlewaretoken": csrf})
    assert confirmed.status_code == 302 and "state=bye" in confirmed["Location"]
    assert client.get("/auth/session/").status_code == 401


def test_logout_state_over_512_characters_is_rejected(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband)
    assert client.post("/auth/logout/", {"state": "s" * 513}).status_code == 400
    assert client.get("/auth/session/").status_code == 200  # nothing was ended
    assert client.post("/auth/logout/", {"state": "s" * 512}).status_code == 302


def test_logout_redirect_url_setting_is_passed_encoded(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        logout_redirect_url="https://app.test/bye?x=1&y=2"
    )
    log_in(client, wristband)
    response = client.post("/auth/logout/")
    assert "redirect_url=https%3A%2F%2Fapp.test%2Fbye%3Fx%3D1%26y%3D2" in response["Location"]


def test_revoke_failure_does_not_block_logout(client: Client, wristband: FakeWristband) -> None:
    log_in(client, wristband)
    wristband.inject("revoke", drop=True)
    response = client.post("/auth/logout/")
    assert response.status_code == 302 and "/api/v1/logout" in response["Location"]
    assert client.get("/auth/session/").status_code == 401


def test_logout_tenant_comes_from_the_session_before_parameters(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband, "tenant_name=globex", user="admin@globex.test")
    response = client.post("/auth/logout/?tenant_name=acme")
    assert urlsplit(response["Location"]).netloc == wristband.tenant_host("globex")


@pytest.mark.fake_wristband(tenants=[FakeTenant("acme", custom_domain="login.acme.test")])
def test_logout_without_session_uses_confirmed_parameters(
    client: Client, wristband: FakeWristband
) -> None:
    response = client.post("/auth/logout/?tenant_custom_domain=login.acme.test")
    assert urlsplit(response["Location"]).netloc == "login.acme.test"
    response = client.post("/auth/logout/?tenant_custom_domain=evil.test&tenant_name=acme")
    assert urlsplit(response["Location"]).netloc == wristband.tenant_host("acme")


def test_logout_with_no_tenant_goes_to_tenant_discovery(
    client: Client, wristband: FakeWristband
) -> None:
    response = client.post("/auth/logout/")
    assert response["Location"] == f"{wristband.base_url}/login?client_id={wristband.client_id}"


def test_logout_with_no_tenant_prefers_the_configured_redirect(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(logout_redirect_url="https://app.test/bye")
    assert client.post("/auth/logout/")["Location"] == "https://app.test/bye"


@pytest.mark.parametrize("path", ["/auth/session/", "/auth/token/"])
def test_json_endpoints_answer_401_without_a_session(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "loginUrl": "http://testserver/auth/login/"}
    assert "no-store" in response["Cache-Control"]


def test_token_endpoint_returns_the_access_token_and_its_expiry(
    client: Client, wristband: FakeWristband
) -> None:
    log_in(client, wristband)
    body = client.get("/auth/token/").json()
    assert set(body) == {"accessToken", "expiresAt"}
    tokens = stored_tokens(client)
    assert body["accessToken"] == tokens["access_token"]
    assert body["expiresAt"] == session_entry.load(client.session).expires_at  # type: ignore[union-attr]
    userinfo = requests.get(
        f"{wristband.base_url}/api/v1/oauth2/userinfo",
        headers={"Authorization": f"Bearer {body['accessToken']}"},
        timeout=5,
    )
    assert userinfo.status_code == 200  # a working token, not a copy of something else


def test_session_metadata_is_configurable(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        session_metadata_claims=["email", "roles", "nope"],
        scopes=["openid", "offline_access", "email", "roles"],  # roles need their scope
    )
    log_in(client, wristband, user="admin@acme.test")
    metadata = client.get("/auth/session/").json()["metadata"]
    assert metadata["email"] == "admin@acme.test"
    assert metadata["roles"][0]["name"] == "app:admin"
    assert "nope" not in metadata


def test_no_response_leaks_a_token_it_should_not(client: Client, wristband: FakeWristband) -> None:
    responses = []
    original_get, original_post = client.get, client.post

    def record_get(*args: Any, **kwargs: Any) -> Any:
        responses.append(original_get(*args, **kwargs))
        return responses[-1]

    def record_post(*args: Any, **kwargs: Any) -> Any:
        responses.append(original_post(*args, **kwargs))
        return responses[-1]

    client.get, client.post = record_get, record_post  # type: ignore[method-assign]
    log_in(client, wristband)
    tokens = stored_tokens(client)
    client.get("/auth/token/")
    client.get("/auth/session/")
    client.post("/auth/logout/")
    exchange = wristband.calls("token", grant_type="authorization_code")[0]
    never = {
        exchange.form["code"],
        exchange.form["code_verifier"],
        wristband.client_secret,
        tokens["refresh_token"],
        *wristband.issued_id_tokens(),
    }
    assert len(responses) == 5  # login, callback, token, session, logout
    for response in responses:
        raw = response.serialize().decode("latin-1")
        assert not [secret for secret in never if secret in raw]
        if response.wsgi_request.path != "/auth/token/":
            assert tokens["access_token"] not in raw


def test_the_login_sets_a_new_csrf_token(wristband: FakeWristband) -> None:
    """A single-page app can POST (Logout, DRF, ninja) right after the login redirect; the
    token changes with the login, as with Django's own login()."""
    client = Client(enforce_csrf_checks=True)
    client.get("/page/")  # a token from before the login
    before = client.cookies["csrftoken"].value
    callback = log_in(client, wristband)
    after = callback.cookies["csrftoken"].value
    assert after and after != before
    assert client.post("/auth/logout/", HTTP_X_CSRFTOKEN=after).status_code == 302
