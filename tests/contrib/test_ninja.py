"""django-ninja: session and bearer auth classes, CSRF as DRF's session auth has it, roles,
sync and async operations, against the fake Wristband over HTTP."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tests.support.auth_helpers import log_in
from tests.support.hostile_tokens import HOSTILE_TOKENS, claims_of, sign
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.urls("tests.support.ninja_api")


def access_token_of(fake: FakeWristband, user: str | None = None) -> str:
    client = Client()
    log_in(client, fake, user=user)
    token: str = client.get("/auth/token/").json()["accessToken"]
    return token


def csrf_client(fake: FakeWristband, user: str | None = None) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    log_in(client, fake, user=user)
    client.get("/page/")
    return client, client.cookies["csrftoken"].value


@pytest.mark.parametrize("path", ["/ninja/session", "/ninja/async-session"])
def test_the_session(wristband: FakeWristband, path: str) -> None:
    client = Client()
    log_in(client, wristband)
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {
        "userId": "usr_acme_admin",
        "tenantId": "tnt_acme",
        "by": "session",
        "roles": ["app:admin"],
        "hasToken": False,
    }
    assert Client().get(path).status_code == 401


def test_unsafe_methods_need_the_csrf_token(wristband: FakeWristband) -> None:
    client, csrf = csrf_client(wristband)
    assert client.post("/ninja/session").status_code == 403
    assert client.post("/ninja/session", HTTP_X_CSRFTOKEN=csrf).status_code == 200
    assert Client(enforce_csrf_checks=True).post("/ninja/session").status_code == 401


@pytest.mark.parametrize("path", ["/ninja/bearer", "/ninja/async-bearer"])
def test_a_bearer_token(wristband: FakeWristband, path: str) -> None:
    token = access_token_of(wristband)
    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["by"] == "bearer" and response.json()["hasToken"] is True
    assert Client().get(path).status_code == 401


@pytest.mark.parametrize("kind", list(HOSTILE_TOKENS))
def test_bad_tokens_are_401_with_the_rfc_6750_challenge(
    wristband: FakeWristband, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = HOSTILE_TOKENS[kind](wristband, access_token_of(wristband))
    for path in ("/ninja/bearer", "/ninja/async-bearer"):
        response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401, kind
        assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
        assert token[-16:] not in response.content.decode()
    assert token[-16:] not in caplog.text


def test_without_the_handlers_the_status_is_still_right(wristband: FakeWristband) -> None:
    response = Client().get("/ninja-plain/bearer", HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert response.status_code == 401
    assert response.json() == {"detail": "The access token is invalid or expired."}


def test_a_bearer_post_needs_no_csrf_token_even_after_the_session_class(
    wristband: FakeWristband,
) -> None:
    token = access_token_of(wristband)
    client = Client(enforce_csrf_checks=True)
    response = client.post("/ninja/either", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["by"] == "bearer"


def test_roles(wristband: FakeWristband) -> None:
    admin, member = Client(), Client()
    log_in(admin, wristband, user="admin@acme.test")
    log_in(member, wristband, user="member@acme.test")
    assert admin.get("/ninja/admins").status_code == 200
    assert member.get("/ninja/admins").status_code == 403
    assert Client().get("/ninja/admins").status_code == 401
    claims = claims_of(access_token_of(wristband))
    with_role = sign(wristband, {**claims, "roles": [{"name": "app:admin"}]})
    assert (
        Client().get("/ninja/admins", HTTP_AUTHORIZATION=f"Bearer {with_role}").status_code == 200
    )
    without = sign(wristband, {**claims, "roles": []})
    assert Client().get("/ninja/admins", HTTP_AUTHORIZATION=f"Bearer {without}").status_code == 403


def test_keys_unreachable_is_503(wristband: FakeWristband) -> None:
    claims = claims_of(access_token_of(wristband))
    wristband.rotate_signing_key()
    wristband.inject("jwks", status=503)
    response = Client().get("/ninja/bearer", HTTP_AUTHORIZATION=f"Bearer {sign(wristband, claims)}")
    assert response.status_code == 503 and response["Retry-After"]


@pytest.mark.parametrize(
    ("method", "path"), [("post", "/ninja/either"), ("get", "/ninja/admins")]
)  # the session class first, then the bearer class first
def test_a_refused_token_gets_the_bearer_challenge_in_either_order(
    wristband: FakeWristband, method: str, path: str
) -> None:
    expired = wristband.access_token_for(exp=1_000_000_000)
    response = getattr(Client(), method)(path, HTTP_AUTHORIZATION=f"Bearer {expired}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
