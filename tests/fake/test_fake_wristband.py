"""Protocol behaviour of the fake Wristband server, driven over real HTTP with `requests`."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from wristband_django.testing import FakeTenant, FakeUser, FakeWristband

APP_CALLBACK = "http://app.test/auth/callback"
TIMEOUT = 5


@dataclass
class Login:
    """The app-side secrets of one login attempt."""

    url: str
    verifier: str
    state: str
    nonce: str


def start_login(
    fake: FakeWristband, tenant: str = "acme", *, host: str | None = None, **params: str | None
) -> Login:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    query: dict[str, str | None] = {
        "client_id": fake.client_id,
        "redirect_uri": APP_CALLBACK,
        "response_type": "code",
        "state": state,
        "scope": "openid offline_access email profile roles",
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
        "nonce": nonce,
        **params,
    }
    encoded = urlencode({k: v for k, v in query.items() if v is not None})
    url = f"http://{host or fake.tenant_host(tenant)}/api/v1/oauth2/authorize?{encoded}"
    return Login(url, verifier, state, nonce)


def single_values(url: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlsplit(url).query).items()}


def token(
    fake: FakeWristband, auth: tuple[str, str] | None = None, **form: str
) -> requests.Response:
    return requests.post(
        f"{fake.base_url}/api/v1/oauth2/token",
        data=form,
        auth=auth or (fake.client_id, fake.client_secret),
        timeout=TIMEOUT,
    )


def exchange(fake: FakeWristband, login: Login, code: str, **overrides: str) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_CALLBACK,
        "code_verifier": login.verifier,
        **overrides,
    }
    return token(fake, **form)


def log_in(
    fake: FakeWristband, user: str = "admin@acme.test", tenant: str = "acme"
) -> dict[str, Any]:
    login = start_login(fake, tenant)
    code = single_values(fake.authorize(login.url, user))["code"]
    response = exchange(fake, login, code)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def refresh(fake: FakeWristband, refresh_token: str) -> requests.Response:
    return token(fake, grant_type="refresh_token", refresh_token=refresh_token)


def verify(fake: FakeWristband, id_token: str, **options: Any) -> dict[str, Any]:
    """Validate a token like an app would: key from the JWKS by kid, RS256, iss, aud."""
    jwks = jwt.PyJWKSet.from_dict(
        requests.get(f"{fake.base_url}/api/v1/oauth2/jwks", timeout=TIMEOUT).json()
    )
    key = jwks[jwt.get_unverified_header(id_token)["kid"]]
    claims: dict[str, Any] = jwt.decode(
        id_token,
        key.key,
        algorithms=["RS256"],
        audience=fake.client_id,
        issuer=fake.issuer,
        options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        **options,
    )
    return claims


def userinfo(fake: FakeWristband, access_token: str) -> requests.Response:
    return requests.get(
        f"{fake.base_url}/api/v1/oauth2/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=TIMEOUT,
    )


def raw_get(fake: FakeWristband, url: str) -> requests.Response:
    """GET `url` on the fake's socket with the URL's host as Host header, without following."""
    parts = urlsplit(url)
    return requests.get(
        f"http://127.0.0.1:{fake.port}{parts.path}?{parts.query}",
        headers={"Host": parts.netloc},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


# --- authorization code flow -------------------------------------------------------------


def test_full_login_refresh_and_userinfo(fake_wristband: FakeWristband) -> None:
    login = start_login(fake_wristband)
    callback = fake_wristband.authorize(login.url, "admin@acme.test")

    assert callback.startswith(APP_CALLBACK + "?")
    params = single_values(callback)
    assert params["state"] == login.state
    assert params["tenant_name"] == "acme"
    assert "tenant_custom_domain" not in params

    response = exchange(fake_wristband, login, params["code"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "openid offline_access email profile roles"
    assert tokens["refresh_token"]

    claims = verify(fake_wristband, tokens["id_token"])
    assert claims["nonce"] == login.nonce
    assert claims["sub"] == "usr_acme_admin"
    assert claims["tnt_id"] == "tnt_acme"
    assert claims["email"] == "admin@acme.test"
    assert claims["idp_name"] == "wristband"
    assert claims["exp"] - claims["iat"] == 3600
    access = verify(fake_wristband, tokens["access_token"])
    assert access["aud"] == [fake_wristband.client_id]
    assert access["client_id"] == fake_wristband.client_id

    info = userinfo(fake_wristband, tokens["access_token"])
    assert info.status_code == 200
    assert info.json()["sub"] == "usr_acme_admin"
    assert info.json()["roles"][0]["name"] == "app:admin"

    refreshed = refresh(fake_wristband, tokens["refresh_token"])
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    new_claims = verify(fake_wristband, new["id_token"])
    assert "nonce" not in new_claims
    assert (new_claims["sub"], new_claims["iss"], new_claims["aud"]) == (
        claims["sub"],
        claims["iss"],
        claims["aud"],
    )
    assert userinfo(fake_wristband, new["access_token"]).status_code == 200


def test_no_refresh_token_without_offline_access(fake_wristband: FakeWristband) -> None:
    login = start_login(fake_wristband, scope="openid email")
    code = single_values(fake_wristband.authorize(login.url))["code"]
    tokens = exchange(fake_wristband, login, code).json()
    assert "refresh_token" not in tokens
    assert tokens["scope"] == "openid email"


def test_userinfo_includes_extra_claims(fake_wristband: FakeWristband) -> None:
    fake_wristband.add_user(
        FakeUser("usr_x", "acme", "x@acme.test", "X", extra_claims={"locale": "fr"})
    )
    tokens = log_in(fake_wristband, "usr_x")
    assert userinfo(fake_wristband, tokens["access_token"]).json()["locale"] == "fr"


def test_pkce_mismatch_is_rejected(fake_wristband: FakeWristband) -> None:
    login = start_login(fake_wristband)
    code = single_values(fake_wristband.authorize(login.url))["code"]
    response = exchange(fake_wristband, login, code, code_verifier=secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_reuse_is_rejected_and_revokes_its_tokens(fake_wristband: FakeWristband) -> None:
    login = start_login(fake_wristband)
    code = single_values(fake_wristband.authorize(login.url))["code"]
    first = exchange(fake_wristband, login, code).json()

    second = exchange(fake_wristband, login, code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert refresh(fake_wristband, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert userinfo(fake_wristband, first["access_token"]).status_code == 401


def test_wrong_redirect_uri_is_rejected(fake_wristband: FakeWristband) -> None:
    login = start_login(fake_wristband)
    code = single_values(fake_wristband.authorize(login.url))["code"]
    response = exchange(fake_wristband, login, code, redirect_uri="http://app.test/other")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_expired_code_is_rejected(fake_wristband: FakeWristband) -> None:
    fake_wristband.code_ttl = 0
    login = start_login(fake_wristband)
    code = single_values(fake_wristband.authorize(login.url))["code"]
    assert exchange(fake_wristband, login, code).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("auth", [("fake-client-id", "wrong-secret"), ("other-client", "x"), None])
def test_client_authentication_is_required(
    fake_wristband: FakeWristband, auth: tuple[str, str] | None
) -> None:
    response = requests.post(
        f"{fake_wristband.base_url}/api/v1/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=auth,
        timeout=TIMEOUT,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_unsupported_grant_type(fake_wristband: FakeWristband) -> None:
    response = token(fake_wristband, grant_type="password")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# --- refresh tokens ----------------------------------------------------------------------


def test_rotation_reuse_revokes_the_whole_family(fake_wristband: FakeWristband) -> None:
    original = log_in(fake_wristband)["refresh_token"]
    rotated = refresh(fake_wristband, original).json()["refresh_token"]

    reuse = refresh(fake_wristband, original)
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    assert refresh(fake_wristband, rotated).json()["error"] == "invalid_grant"


@pytest.mark.fake_wristband(rotate_refresh_tokens=False)
def test_without_rotation_the_refresh_token_keeps_working(fake_wristband: FakeWristband) -> None:
    refresh_token = log_in(fake_wristband)["refresh_token"]
    for _ in range(3):
        response = refresh(fake_wristband, refresh_token)
        assert response.status_code == 200
        assert "refresh_token" not in response.json()


def test_revoke_kills_the_refresh_token(fake_wristband: FakeWristband) -> None:
    tokens = log_in(fake_wristband)
    url = f"{fake_wristband.base_url}/api/v1/oauth2/revoke"
    auth = (fake_wristband.client_id, fake_wristband.client_secret)
    response = requests.post(
        url, data={"token": tokens["refresh_token"]}, auth=auth, timeout=TIMEOUT
    )
    assert response.status_code == 200
    assert refresh(fake_wristband, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert userinfo(fake_wristband, tokens["access_token"]).status_code == 401
    unknown = requests.post(url, data={"token": "nope"}, auth=auth, timeout=TIMEOUT)
    assert unknown.status_code == 200


def test_revoke_all_for_one_user(fake_wristband: FakeWristband) -> None:
    admin, member = (
        log_in(fake_wristband, "admin@acme.test"),
        log_in(fake_wristband, "member@acme.test"),
    )
    fake_wristband.revoke_all("usr_acme_admin")
    assert refresh(fake_wristband, admin["refresh_token"]).status_code == 400
    assert refresh(fake_wristband, member["refresh_token"]).status_code == 200


def test_userinfo_rejects_bad_and_expired_tokens(fake_wristband: FakeWristband) -> None:
    assert userinfo(fake_wristband, "not-a-jwt").status_code == 401
    assert (
        userinfo(fake_wristband, log_in(fake_wristband)["id_token"]).status_code == 401
    )  # an ID token has no jti
    fake_wristband.access_token_ttl = -10
    expired = log_in(fake_wristband)
    assert expired["expires_in"] == -10
    response = userinfo(fake_wristband, expired["access_token"])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


# --- authorize: users, tenants, errors ---------------------------------------------------


def test_user_picker_lists_the_tenants_users(fake_wristband: FakeWristband) -> None:
    login = start_login(fake_wristband)
    page = raw_get(fake_wristband, login.url)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "admin@acme.test" in page.text
    assert "member@acme.test" in page.text
    assert "globex" not in page.text

    link = page.text.split('href="')[1].split('"')[0].replace("&amp;", "&")
    chosen = raw_get(fake_wristband, f"http://{fake_wristband.tenant_host('acme')}{link}")
    assert chosen.status_code == 302
    assert single_values(chosen.headers["Location"])["state"] == login.state


def test_prompt_none_without_a_session_is_login_required(fake_wristband: FakeWristband) -> None:
    login = start_login(fake_wristband, prompt="none")
    response = raw_get(fake_wristband, login.url)
    assert response.status_code == 302
    params = single_values(response.headers["Location"])
    assert params["error"] == "login_required"
    assert params["state"] == login.state


def test_authorize_with_requested_error(fake_wristband: FakeWristband) -> None:
    login = start_login(fake_wristband)
    callback = fake_wristband.authorize(login.url, error="access_denied", error_description="Nope")
    assert single_values(callback) == {
        "error": "access_denied",
        "error_description": "Nope",
        "state": login.state,
    }


def test_user_of_another_tenant_is_refused(fake_wristband: FakeWristband) -> None:
    with pytest.raises(AssertionError, match="belongs to tenant 'globex'"):
        fake_wristband.authorize(start_login(fake_wristband, "acme").url, "admin@globex.test")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"code_challenge": None}, "code_challenge"),
        ({"code_challenge_method": "plain"}, "code_challenge_method"),
        ({"scope": "email"}, "openid"),
        ({"client_id": "someone-else"}, "client_id"),
        ({"redirect_uri": "javascript:alert(1)"}, "redirect_uri"),
        ({"state": None}, "state"),
        ({"response_type": "token"}, "response_type"),
    ],
)
def test_invalid_authorize_request_is_a_400_not_a_redirect(
    fake_wristband: FakeWristband, params: dict[str, str | None], message: str
) -> None:
    login = start_login(fake_wristband, **params)
    response = raw_get(fake_wristband, login.url)
    assert response.status_code == 400
    assert "Location" not in response.headers
    with pytest.raises(AssertionError, match=message):
        fake_wristband.authorize(login.url)


def test_tenant_from_dotted_host(fake_wristband: FakeWristband) -> None:
    callback = fake_wristband.authorize(
        start_login(fake_wristband, host=f"globex.localhost:{fake_wristband.port}").url
    )
    assert single_values(callback)["tenant_name"] == "globex"


@pytest.mark.fake_wristband(is_application_custom_domain_active=False)
def test_tenant_from_dashed_host(fake_wristband: FakeWristband) -> None:
    assert fake_wristband.tenant_host("acme") == f"acme-localhost:{fake_wristband.port}"
    callback = fake_wristband.authorize(start_login(fake_wristband, "acme").url)
    assert single_values(callback)["tenant_name"] == "acme"
    with pytest.raises(AssertionError, match="not a known tenant host"):
        fake_wristband.authorize(
            start_login(fake_wristband, host=f"acme.localhost:{fake_wristband.port}").url
        )


@pytest.mark.fake_wristband(tenants=[FakeTenant("acme", custom_domain="login.acme.test")])
def test_tenant_from_custom_domain(fake_wristband: FakeWristband) -> None:
    callback = fake_wristband.authorize(
        start_login(fake_wristband, host="login.acme.test").url, "member@acme.test"
    )
    params = single_values(callback)
    assert params["tenant_name"] == "acme"
    assert params["tenant_custom_domain"] == "login.acme.test"


@pytest.mark.parametrize("host", ["nobody.localhost:{port}", "nobody-localhost:{port}"])
def test_host_without_a_known_tenant_is_refused(fake_wristband: FakeWristband, host: str) -> None:
    with pytest.raises(AssertionError, match="not a known tenant host"):
        fake_wristband.authorize(
            start_login(fake_wristband, host=host.format(port=fake_wristband.port)).url
        )


# --- configuration, custom domains, logout, application login ----------------------------


def test_the_app_urls_default_to_localhost_8000_and_in_a_project_to_the_test_clients(
    fake_wristband: FakeWristband,
) -> None:
    """On its own (the CLI) the fake reports the app at localhost:8000; the pytest plugin's
    fixture, in a Django project, reports the project's Login and Callback endpoints on the
    test client's host, so ``fake.auth_settings()`` alone logs users in."""
    with FakeWristband() as alone:
        assert alone.settings.login_url == "http://localhost:8000/auth/login"
        assert alone.settings.redirect_uri == "http://localhost:8000/auth/callback"
    assert fake_wristband.settings.login_url == "http://testserver/auth/login/"
    assert fake_wristband.settings.redirect_uri == "http://testserver/auth/callback/"


@pytest.mark.fake_wristband(login_url_tenant_domain_suffix=".app.test")
def test_sdk_configuration(fake_wristband: FakeWristband) -> None:
    url = f"{fake_wristband.base_url}/api/v1/clients/{fake_wristband.client_id}/sdk-configuration"
    assert requests.get(url, timeout=TIMEOUT).json() == {
        "loginUrl": fake_wristband.settings.login_url,
        "redirectUri": fake_wristband.settings.redirect_uri,
        "isApplicationCustomDomainActive": True,
        "customApplicationLoginPageUrl": None,
        "loginUrlTenantDomainSuffix": ".app.test",
        "applicationAuthorizationRequestsEnabled": False,
    }
    unknown = requests.get(
        f"{fake_wristband.base_url}/api/v1/clients/nope/sdk-configuration", timeout=TIMEOUT
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"


@pytest.mark.fake_wristband(tenants=[FakeTenant("acme", custom_domain="login.acme.test")])
def test_validate_custom_domain(fake_wristband: FakeWristband) -> None:
    url = f"{fake_wristband.base_url}/api/v1/custom-domains/validate"
    for domain, valid in [("login.acme.test", True), ("evil.test", False)]:
        response = requests.post(url, json={"tenantCustomDomain": domain}, timeout=TIMEOUT)
        assert response.json() == {"valid": valid}
    malformed = requests.post(
        url, data="{", headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert malformed.status_code == 400


def test_logout_redirects_to_login_url_with_tenant_and_state(fake_wristband: FakeWristband) -> None:
    query = urlencode({"client_id": fake_wristband.client_id, "state": "a b&c"})
    response = raw_get(
        fake_wristband, f"http://{fake_wristband.tenant_host('acme')}/api/v1/logout?{query}"
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{fake_wristband.settings.login_url}?")
    assert single_values(location) == {"tenant_name": "acme", "state": "a b&c"}


def test_logout_redirect_url_keeps_its_query(fake_wristband: FakeWristband) -> None:
    target = "http://app.test/bye?lang=en"
    query = urlencode({"client_id": fake_wristband.client_id, "redirect_url": target})
    response = raw_get(
        fake_wristband, f"http://{fake_wristband.tenant_host('acme')}/api/v1/logout?{query}"
    )
    location = response.headers["Location"]
    assert location.startswith("http://app.test/bye?")
    assert single_values(location) == {"lang": "en", "tenant_name": "acme"}


def test_logout_state_over_512_chars_is_refused(fake_wristband: FakeWristband) -> None:
    query = urlencode({"client_id": fake_wristband.client_id, "state": "x" * 513})
    response = requests.get(f"{fake_wristband.base_url}/api/v1/logout?{query}", timeout=TIMEOUT)
    assert response.status_code == 400
    assert len(fake_wristband.calls("logout")) == 1


def test_application_login_page_lists_tenants(fake_wristband: FakeWristband) -> None:
    response = requests.get(
        f"{fake_wristband.base_url}/login?client_id={fake_wristband.client_id}", timeout=TIMEOUT
    )
    assert response.status_code == 200
    login_url = fake_wristband.settings.login_url
    assert f"{login_url}?tenant_name=acme" in response.text
    assert f"{login_url}?tenant_name=globex" in response.text


def test_unknown_path_is_404_json(fake_wristband: FakeWristband) -> None:
    response = requests.get(f"{fake_wristband.base_url}/api/v1/nope", timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert fake_wristband.requests[-1].endpoint == "unknown"


# --- fault injection ---------------------------------------------------------------------


def test_fault_replaces_the_response_once(fake_wristband: FakeWristband) -> None:
    url = f"{fake_wristband.base_url}/api/v1/oauth2/jwks"
    fault = fake_wristband.inject(
        "jwks", status=502, body="<html>Bad Gateway</html>", content_type="text/html"
    )
    failed = requests.get(url, timeout=TIMEOUT)
    assert failed.status_code == 502
    assert failed.text == "<html>Bad Gateway</html>"
    assert failed.headers["Content-Type"] == "text/html"
    assert requests.get(url, timeout=TIMEOUT).status_code == 200
    assert fault.hits == 1


def test_fault_until_cleared(fake_wristband: FakeWristband) -> None:
    url = f"{fake_wristband.base_url}/api/v1/oauth2/jwks"
    fake_wristband.inject("jwks", status=503, times=None)
    assert [requests.get(url, timeout=TIMEOUT).status_code for _ in range(3)] == [503] * 3
    fake_wristband.clear_faults()
    assert requests.get(url, timeout=TIMEOUT).status_code == 200


@pytest.mark.slow
def test_delay_fault_answers_normally_but_late(fake_wristband: FakeWristband) -> None:
    fake_wristband.inject("jwks", delay=0.3)
    started = time.monotonic()
    response = requests.get(f"{fake_wristband.base_url}/api/v1/oauth2/jwks", timeout=TIMEOUT)
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    fake_wristband.inject("jwks", delay=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(f"{fake_wristband.base_url}/api/v1/oauth2/jwks", timeout=0.1)


def test_drop_fault_closes_the_connection(fake_wristband: FakeWristband) -> None:
    fake_wristband.inject("userinfo", drop=True)
    with requests.Session() as session:
        assert session.get(
            f"{fake_wristband.base_url}/api/v1/oauth2/jwks", timeout=TIMEOUT
        ).ok  # keep-alive
        with pytest.raises(requests.ConnectionError):
            session.get(f"{fake_wristband.base_url}/api/v1/oauth2/userinfo", timeout=TIMEOUT)


def test_fault_filtered_by_grant_type_does_not_consume_the_code(
    fake_wristband: FakeWristband,
) -> None:
    fake_wristband.inject(
        "token", grant_type="refresh_token", json={"error": "temporarily_unavailable"}, status=503
    )
    login = start_login(fake_wristband)
    code = single_values(fake_wristband.authorize(login.url))["code"]
    fake_wristband.inject("token", grant_type="authorization_code", status=500, times=1)
    assert exchange(fake_wristband, login, code).status_code == 500
    tokens = exchange(
        fake_wristband, login, code
    ).json()  # the faulted attempt did not use the code
    failed = refresh(fake_wristband, tokens["refresh_token"])
    assert failed.status_code == 503
    assert failed.json() == {"error": "temporarily_unavailable"}
    assert refresh(fake_wristband, tokens["refresh_token"]).status_code == 200


def test_inject_validates_its_arguments(fake_wristband: FakeWristband) -> None:
    with pytest.raises(ValueError, match="unknown endpoint"):
        fake_wristband.inject("tokens", status=500)
    with pytest.raises(ValueError, match="grant_type"):
        fake_wristband.inject("userinfo", status=500, grant_type="refresh_token")


# --- broken ID tokens and key rotation ---------------------------------------------------


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"claims": {"iss": "https://evil.test"}}, jwt.InvalidIssuerError),
        ({"claims": {"aud": "another-client"}}, jwt.InvalidAudienceError),
        ({"claims": {"exp": 1}}, jwt.ExpiredSignatureError),
        ({"remove_claims": ["iat"]}, jwt.MissingRequiredClaimError),
        ({"alg": "none"}, jwt.InvalidAlgorithmError),
        ({"alg": "HS256"}, jwt.InvalidAlgorithmError),
        ({"sign_with": "foreign"}, jwt.InvalidSignatureError),
        ({"kid": "kid_unknown"}, KeyError),
    ],
)
def test_override_id_token_breaks_it_for_the_intended_reason(
    fake_wristband: FakeWristband, override: dict[str, Any], error: type[Exception]
) -> None:
    fake_wristband.override_id_token(**override)
    tokens = log_in(fake_wristband)
    with pytest.raises(error):
        verify(fake_wristband, tokens["id_token"])
    verify(fake_wristband, tokens["access_token"])  # access tokens stay valid

    fake_wristband.reset_id_token()
    verify(fake_wristband, log_in(fake_wristband)["id_token"])


def test_override_id_token_nonce(fake_wristband: FakeWristband) -> None:
    fake_wristband.override_id_token(claims={"nonce": "forged"})
    login = start_login(fake_wristband)
    code = single_values(fake_wristband.authorize(login.url))["code"]
    claims = verify(fake_wristband, exchange(fake_wristband, login, code).json()["id_token"])
    assert claims["nonce"] == "forged" != login.nonce


def test_rotate_signing_key_publishes_both_keys(fake_wristband: FakeWristband) -> None:
    old_token = log_in(fake_wristband)["id_token"]
    old_kid = fake_wristband.current_kid
    fake_wristband.rotate_signing_key()

    new_token = log_in(fake_wristband)["id_token"]
    assert jwt.get_unverified_header(new_token)["kid"] == fake_wristband.current_kid != old_kid
    jwks = requests.get(f"{fake_wristband.base_url}/api/v1/oauth2/jwks", timeout=TIMEOUT).json()
    assert {key["kid"] for key in jwks["keys"]} == {old_kid, fake_wristband.current_kid}
    assert all(key["kty"] == "RSA" and key["alg"] == "RS256" for key in jwks["keys"])
    verify(fake_wristband, old_token)
    verify(fake_wristband, new_token)

    fake_wristband.rotate_signing_key(keep_old=False)
    with pytest.raises(KeyError):
        verify(fake_wristband, new_token)


# --- records and lifecycle ---------------------------------------------------------------


def test_records(fake_wristband: FakeWristband) -> None:
    tokens = log_in(fake_wristband)
    refresh(fake_wristband, tokens["refresh_token"])
    refresh(fake_wristband, "unknown")

    assert len(fake_wristband.calls("token", grant_type="refresh_token")) == 2
    assert len(fake_wristband.calls("token", grant_type="authorization_code")) == 1
    authorize = fake_wristband.calls("authorize")[0]
    assert authorize.host == fake_wristband.tenant_host("acme")
    assert authorize.method == "GET"
    assert authorize.query["response_type"] == ["code"]
    assert len(fake_wristband.calls("authorize", client_id=fake_wristband.client_id)) == 1
    token_call = fake_wristband.calls("token")[0]
    assert token_call.path == "/api/v1/oauth2/token"
    assert token_call.headers["authorization"].startswith("Basic ")

    fake_wristband.reset_records()
    assert fake_wristband.requests == []


def test_concurrent_logins(fake_wristband: FakeWristband) -> None:
    users = ["admin@acme.test", "member@acme.test"] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda user: log_in(fake_wristband, user), users))
    assert len({result["refresh_token"] for result in results}) == len(users)


def test_stop_releases_the_port() -> None:
    with FakeWristband() as fake:
        port = fake.port
        assert fake.start() is fake  # idempotent
        assert requests.get(f"{fake.base_url}/api/v1/oauth2/jwks", timeout=TIMEOUT).ok
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    with pytest.raises(RuntimeError):
        _ = FakeWristband().port


def test_auth_settings(fake_wristband: FakeWristband) -> None:
    assert fake_wristband.auth_settings(scopes=["openid"]) == {
        "client_id": "fake-client-id",
        "client_secret": "fake-client-secret-0123456789abcdef0123",
        "wristband_application_vanity_domain": f"localhost:{fake_wristband.port}",
        "dangerously_allow_http_idp": True,
        "scopes": ["openid"],
    }
    assert (
        fake_wristband.issuer
        == fake_wristband.base_url
        == f"http://localhost:{fake_wristband.port}"
    )


def test_records_summary_is_served_without_secrets(fake_wristband: FakeWristband) -> None:
    requests.post(
        f"{fake_wristband.base_url}/api/v1/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "rt_secret-value"},
        auth=(fake_wristband.client_id, fake_wristband.client_secret),
        timeout=5,
    )
    summary = requests.get(f"{fake_wristband.base_url}/_fake/requests", timeout=5).json()
    assert summary == [
        {
            "endpoint": "token",
            "method": "POST",
            "path": "/api/v1/oauth2/token",
            "host": fake_wristband.vanity_domain,
            "grant_type": "refresh_token",
        }
    ]
    assert "rt_secret-value" not in str(summary) and fake_wristband.client_secret not in str(
        summary
    )


@pytest.mark.parametrize("placeholder", ["{tenant_name}", "{tenant_domain}"])
def test_login_url_placeholder_is_filled_after_logout_and_discovery(placeholder: str) -> None:
    with FakeWristband(login_url=f"http://{placeholder}.app.test/auth/login/") as fake:
        logout = requests.get(
            f"http://127.0.0.1:{fake.port}/api/v1/logout",
            params={"client_id": fake.client_id},
            headers={"Host": fake.tenant_host("acme")},
            allow_redirects=False,
            timeout=5,
        )
        assert logout.headers["Location"].startswith("http://acme.app.test/auth/login/")
        page = requests.get(
            f"{fake.base_url}/login", params={"client_id": fake.client_id}, timeout=5
        ).text
        assert "http://globex.app.test/auth/login/?tenant_name=globex" in page


def test_a_browser_asking_for_the_fakes_icon_gets_no_404(fake_wristband: FakeWristband) -> None:
    icon = raw_get(fake_wristband, f"{fake_wristband.issuer}/favicon.ico")
    assert icon.status_code == 204  # a 404 would be a red line in the browser's console
