"""Django REST framework: session authentication (same refresh, DRF's CSRF check) and bearer
access tokens validated against the fake Wristband's JWKS."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from tests.support.auth_helpers import expire_access_token, log_in, stored_entry
from tests.support.hostile_tokens import HOSTILE_TOKENS, claims_of, sign
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.urls("tests.support.drf_urls")
WRISTBAND_MIDDLEWARE = "wristband_django.middleware.WristbandAuthMiddleware"
REJECTED = "The access token is invalid or expired."


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
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["detail"].startswith("Sessions are temporarily unavailable")


# --- bearer --------------------------------------------------------------------------------


def access_token_of(wristband: FakeWristband) -> str:
    client = APIClient()
    log_in(client, wristband)
    token: str = client.get("/auth/token/").json()["accessToken"]
    return token


def bearer(token: str, path: str = "/drf/bearer/") -> Any:
    return APIClient().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("kind", list(HOSTILE_TOKENS))
def test_bad_tokens_are_401_with_a_generic_message(
    wristband: FakeWristband, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = HOSTILE_TOKENS[kind](wristband, access_token_of(wristband))
    response = bearer(token)
    assert response.status_code == 401, kind
    assert response.json() == {"detail": REJECTED}
    assert token[-16:] not in response.content.decode()
    assert token[-16:] not in caplog.text


def test_an_id_token_is_not_an_access_token(wristband: FakeWristband) -> None:
    log_in(APIClient(), wristband)
    (id_token,) = wristband.issued_id_tokens()  # a real, valid ID token of this application
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
    assert bearer(token, "/drf/both/").json()["authType"] == "AccessTokenClaims"
    assert APIClient().get("/drf/both/").status_code == 401


@pytest.mark.slow
def test_the_package_imports_without_drf_or_ninja() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib\n"
        "sys.modules['rest_framework'] = sys.modules['ninja'] = None\n"
        "import django; from django.conf import settings\n"
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.support.settings'\n"
        "django.setup()\n"
        "import wristband_django\n"
        "for m in pkgutil.walk_packages(wristband_django.__path__, 'wristband_django.'):\n"
        "    if m.name.rpartition('.')[2] not in ('drf', 'ninja') and '.testing' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def token_with_roles(fake: FakeWristband, roles: list[Any]) -> str:
    return sign(fake, {**claims_of(access_token_of(fake)), "roles": roles})


def test_drf_role_permission_with_a_session(wristband: FakeWristband) -> None:
    admin, member = APIClient(), APIClient()
    log_in(admin, wristband, user="admin@acme.test")
    log_in(member, wristband, user="member@acme.test")
    assert admin.get("/drf/admins/").status_code == 200
    assert member.get("/drf/admins/").status_code == 403
    assert APIClient().get("/drf/admins/").status_code == 401


@pytest.mark.parametrize("path", ["/drf/admins/", "/drf/admins-attribute/"])
def test_drf_role_permission_with_a_bearer_token(wristband: FakeWristband, path: str) -> None:
    with_role = token_with_roles(wristband, [{"name": "app:admin"}])
    without = token_with_roles(wristband, [{"name": "app:member"}])
    assert APIClient().get(path, HTTP_AUTHORIZATION=f"Bearer {with_role}").status_code == 200
    assert APIClient().get(path, HTTP_AUTHORIZATION=f"Bearer {without}").status_code == 403
    assert APIClient().get(path).status_code == 401
