"""Django REST framework: session authentication (same refresh, DRF's CSRF check) and bearer
access tokens validated against the fake Wristband's JWKS."""

from __future__ import annotations

import logging
import time
from typing import Any

import jwt
import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from tests.support.auth_helpers import expire_access_token, log_in, stored_entry
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.urls("tests.support.drf_urls")
WRISTBAND_MIDDLEWARE = "wristband_django.middleware.WristbandAuthMiddleware"
REJECTED = "Invalid or expired access token."


def refreshes(fake: FakeWristband) -> int:
    return len(fake.calls("token", grant_type="refresh_token"))


# --- session -------------------------------------------------------------------------------


def test_session_after_login(wristband: FakeWristband) -> None:
    client = APIClient()
    log_in(client, wristband)
    response = client.get("/drf/session/")
    assert response.status_code == 200
    assert response.json() == {
        "userType": "WristbandUser",
        "pk": "usr_acme_admin",
        "tenantId": "tnt_acme",
        "email": "admin@acme.test",
        "roles": ["app:admin"],
        "authType": "WristbandSession",
    }


def test_the_django_user_when_one_is_logged_in(wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(authenticate_django_user=True)
    client = APIClient()
    log_in(client, wristband)
    body = client.get("/drf/session/").json()
    assert body["userType"] == "User" and body["authType"] == "WristbandSession"


def test_no_session_is_401_not_403(wristband: FakeWristband) -> None:
    response = APIClient().get("/drf/session/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Session realm="api"'


def test_post_without_csrf_token_is_403(wristband: FakeWristband) -> None:
    client = APIClient(enforce_csrf_checks=True)
    log_in(client, wristband)
    response = client.post("/drf/session/")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    client.get("/page/")
    token = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    assert client.post("/drf/session/", HTTP_X_CSRFTOKEN=token).status_code == 200


@pytest.mark.parametrize("middleware", [True, False], ids=["with-middleware", "without"])
def test_an_expired_token_is_refreshed_once(
    wristband: FakeWristband, settings: Any, middleware: bool
) -> None:
    if not middleware:
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != WRISTBAND_MIDDLEWARE]
    client = APIClient()
    log_in(client, wristband)
    before = expire_access_token(client)
    assert client.get("/drf/session/").status_code == 200
    assert refreshes(wristband) == 1
    after = stored_entry(client)
    assert not after.is_expired() and after.access_token != before.access_token
    assert client.get("/drf/session/").status_code == 200
    assert refreshes(wristband) == 1


def test_a_failed_refresh_ends_the_session(wristband: FakeWristband) -> None:
    client = APIClient()
    log_in(client, wristband)
    expire_access_token(client)
    wristband.revoke_all()
    assert client.get("/drf/session/").status_code == 401


def test_session_store_down_is_503(
    wristband: FakeWristband, settings: Any, throwaway_redis: Any
) -> None:
    settings.CACHES = {"default": throwaway_redis.cache_settings()}
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != WRISTBAND_MIDDLEWARE]
    client = APIClient()
    log_in(client, wristband)
    throwaway_redis.kill()
    response = client.get("/drf/session/")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Sessions are temporarily unavailable")


# --- bearer --------------------------------------------------------------------------------


def access_token_of(wristband: FakeWristband) -> str:
    client = APIClient()
    log_in(client, wristband)
    token: str = client.get("/auth/token/").json()["accessToken"]
    return token


def bearer(token: str, path: str = "/drf/bearer/") -> Any:
    return APIClient().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def sign(wristband: FakeWristband, claims: dict[str, Any]) -> str:
    """A token signed with the fake's current key: only the claims are wrong."""
    return wristband.sign_access_token(claims)


def test_a_real_access_token_works(wristband: FakeWristband) -> None:
    response = bearer(access_token_of(wristband))
    assert response.status_code == 200
    assert response.json() == {
        "userType": "WristbandUser",
        "pk": "usr_acme_admin",
        "tenantId": "tnt_acme",
        "email": None,
        "roles": [],
        "authType": "dict",
        "sub": "usr_acme_admin",
    }


def test_without_aud_as_wristband_issues_them(wristband: FakeWristband) -> None:
    claims = claims_of(access_token_of(wristband))
    del claims["aud"]
    assert bearer(sign(wristband, claims)).status_code == 200


def test_bearer_needs_no_csrf_token(wristband: FakeWristband) -> None:
    client = APIClient(enforce_csrf_checks=True)
    token = access_token_of(wristband)
    assert client.post("/drf/bearer/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_no_header_is_401_with_a_bearer_challenge(wristband: FakeWristband) -> None:
    response = APIClient().get("/drf/bearer/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="api"'
    basic = APIClient().get("/drf/bearer/", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert basic.status_code == 401


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    return f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"


BAD_TOKENS = {
    "tampered signature": lambda fake, token: tampered(token),
    "expired": lambda fake, token: sign(fake, {**claims_of(token), "exp": int(time.time()) - 61}),
    "other issuer": lambda fake, token: sign(
        fake, {**claims_of(token), "iss": "https://evil.test"}
    ),
    "other audience": lambda fake, token: sign(fake, {**claims_of(token), "aud": ["other"]}),
    "no exp": lambda fake, token: sign(
        fake, {k: v for k, v in claims_of(token).items() if k != "exp"}
    ),
    "no sub": lambda fake, token: sign(
        fake, {k: v for k, v in claims_of(token).items() if k != "sub"}
    ),
    "alg none": lambda fake, token: jwt.encode(
        claims_of(token), "", algorithm="none", headers={"kid": fake.current_kid}
    ),
    "HS256 with the client secret": lambda fake, token: jwt.encode(
        claims_of(token), fake.client_secret, algorithm="HS256", headers={"kid": fake.current_kid}
    ),
    "unknown kid": lambda fake, token: jwt.encode(
        claims_of(token), fake.client_secret, algorithm="HS256", headers={"kid": "nope"}
    ),
    "not a JWT": lambda fake, token: "not-a-jwt",
    "too long": lambda fake, token: token + "A" * 9000,
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_bad_tokens_are_401_with_a_generic_message(
    wristband: FakeWristband, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = BAD_TOKENS[kind](wristband, access_token_of(wristband))
    response = bearer(token)
    assert response.status_code == 401, kind
    assert response.json() == {"detail": REJECTED}
    assert token[-16:] not in response.content.decode()
    assert token[-16:] not in caplog.text


def test_an_id_token_is_not_an_access_token(wristband: FakeWristband) -> None:
    client = APIClient()
    log_in(client, wristband)
    id_token = stored_entry(client).id_token
    assert id_token is not None
    assert bearer(id_token).status_code == 401


def test_expiry_leeway(wristband: FakeWristband) -> None:
    claims = claims_of(access_token_of(wristband))
    assert bearer(sign(wristband, {**claims, "exp": int(time.time()) - 30})).status_code == 200


def test_a_malformed_header_is_401(wristband: FakeWristband) -> None:
    response = APIClient().get("/drf/bearer/", HTTP_AUTHORIZATION="Bearer a b")
    assert response.status_code == 401 and response.json() == {"detail": REJECTED}


def test_jwks_unreachable_is_503_not_401(wristband: FakeWristband) -> None:
    claims = claims_of(access_token_of(wristband))
    wristband.rotate_signing_key()  # a kid the cache does not know: the JWKS is fetched again
    wristband.inject("jwks", status=503)
    response = bearer(sign(wristband, claims))
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Authentication is temporarily unavailable")


def test_session_and_bearer_together(wristband: FakeWristband) -> None:
    client = APIClient()
    log_in(client, wristband)
    assert client.get("/drf/both/").json()["authType"] == "WristbandSession"
    token = access_token_of(wristband)
    assert bearer(token, "/drf/both/").json()["authType"] == "dict"
    assert APIClient().get("/drf/both/").status_code == 401


@pytest.mark.slow
def test_the_package_imports_without_drf() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib; sys.modules['rest_framework'] = None\n"
        "import django; from django.conf import settings\n"
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.support.settings'\n"
        "django.setup()\n"
        "import wristband_django\n"
        "for m in pkgutil.walk_packages(wristband_django.__path__, 'wristband_django.'):\n"
        "    if m.name.rpartition('.')[2] != 'drf' and '.testing' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
