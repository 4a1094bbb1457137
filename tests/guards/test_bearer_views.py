"""Bearer access tokens on plain Django views: the decorator, the mixin and the middleware's
``protected_paths``, sync and async, with the session, a bearer token, or either.

Every test talks to the fake Wristband over HTTP; tokens are real (or forged along one
dimension, see ``tests/support/hostile_tokens.py``)."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from django.test import Client

from tests.support.auth_helpers import log_in
from tests.support.hostile_tokens import HOSTILE_TOKENS, claims_of, sign
from wristband_django.bearer import InvalidAccessTokenError, validate_access_token
from wristband_django.testing import FakeWristband

INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'


def access_token_of(fake: FakeWristband, user: str | None = None) -> str:
    client = Client()
    log_in(client, fake, user=user)
    token: str = client.get("/auth/token/").json()["accessToken"]
    return token


def bearer(path: str, token: str, client: Client | None = None) -> Any:
    return (client or Client()).get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("path", ["/bearer/", "/async-bearer/", "/either/"])
def test_a_valid_token_exposes_typed_claims(wristband: FakeWristband, path: str) -> None:
    token = access_token_of(wristband)
    response = bearer(path, token)
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {
        "userId": "usr_acme_admin",
        "tenantId": "tnt_acme",
        "roles": [],
        "by": "bearer",
        "machine": False,
        "email": None,
    }
    claims = claims_of(token)
    assert body["token"]["clientId"] == wristband.client_id
    assert body["token"]["expiresAt"].startswith(
        time.strftime("%Y-%m-%dT%H", time.gmtime(claims["exp"]))
    )
    assert body["hasSession"] is False
    assert token not in response.content.decode()


def test_roles_and_custom_claims_of_a_token(wristband: FakeWristband) -> None:
    claims = {
        **claims_of(access_token_of(wristband)),
        "roles": [{"id": "rol_1", "name": "app:admin", "display_name": "Admin"}, "app:billing"],
        "custom_claims": {"plan": "gold"},
    }
    body = bearer("/bearer/", sign(wristband, claims)).json()
    assert body["user"]["roles"] == body["token"]["roles"] == ["app:admin", "app:billing"]
    assert body["token"]["custom"] == {"plan": "gold"}


@pytest.mark.parametrize("path", ["/bearer/", "/async-bearer/", "/either/", "/admins-mixin/"])
def test_no_token_is_401_with_a_bare_bearer_challenge(wristband: FakeWristband, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"
    other_scheme = Client().get(path, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert other_scheme.status_code == 401 and other_scheme["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("kind", list(HOSTILE_TOKENS))
@pytest.mark.parametrize("path", ["/bearer/", "/async-bearer/", "/either/"])
def test_a_bad_token_is_401_invalid_token(
    wristband: FakeWristband, kind: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = HOSTILE_TOKENS[kind](wristband, access_token_of(wristband))
    response = bearer(path, token)
    assert response.status_code == 401, kind
    assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE
    assert response.json()["error"] == "invalid_token"
    assert token[-16:] not in response.content.decode()
    assert token[-16:] not in caplog.text


def test_an_id_token_is_not_an_access_token(wristband: FakeWristband) -> None:
    log_in(Client(), wristband)
    (id_token,) = wristband.issued_id_tokens()  # a real, valid ID token of this application
    response = bearer("/bearer/", id_token)
    assert response.status_code == 401 and response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer a\tb", "Bearer tökén", "bearer   "], ids=repr
)
def test_a_malformed_bearer_header_is_401(wristband: FakeWristband, header: str) -> None:
    response = Client().get("/bearer/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE


def test_session_then_bearer_prefers_the_session(wristband: FakeWristband) -> None:
    client = Client()
    log_in(client, wristband)
    body = bearer("/either/", "not-even-a-jwt", client).json()
    assert body["user"]["by"] == "session" and body["hasSession"] is True
    assert client.get("/bearer/").status_code == 401  # bearer only: the cookie does not count


def test_a_page_redirects_browsers_but_answers_api_clients(wristband: FakeWristband) -> None:
    page = Client().get("/page-or-bearer/")
    assert page.status_code == 302 and "/auth/login/" in page["Location"]
    api = bearer("/page-or-bearer/", access_token_of(wristband))
    assert api.status_code == 200 and api.json()["user"]["by"] == "bearer"
    forged = bearer("/page-or-bearer/", "not-a-jwt")
    assert forged.status_code == 401 and forged["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE


def test_keys_unreachable_is_503_not_401(wristband: FakeWristband) -> None:
    claims = claims_of(access_token_of(wristband))
    wristband.rotate_signing_key()  # a kid the cache does not know: the JWKS is fetched again
    wristband.inject("jwks", status=503)
    response = bearer("/bearer/", sign(wristband, claims))
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["error"] == "wristband_unavailable"


@pytest.mark.wristband_settings(allowed_bearer_client_ids=["ops-console"])
def test_the_client_allow_list(wristband: FakeWristband) -> None:
    claims = claims_of(access_token_of(wristband))
    assert bearer("/bearer/", sign(wristband, claims)).status_code == 401
    allowed = {**claims, "client_id": "ops-console"}
    assert bearer("/bearer/", sign(wristband, allowed)).status_code == 200


def test_a_machine_token_is_allowed_without_an_allow_list(wristband: FakeWristband) -> None:
    claims = claims_of(access_token_of(wristband))
    machine = {**claims, "sub": "m2m-client", "client_id": "m2m-client", "aud": ["m2m-client"]}
    body = bearer("/bearer/", sign(wristband, machine)).json()
    assert body["user"]["machine"] is True and body["user"]["userId"] == "m2m-client"


@pytest.mark.wristband_settings(jwt_leeway=0)
def test_the_leeway_setting(wristband: FakeWristband) -> None:
    claims = claims_of(access_token_of(wristband))
    just_expired = sign(wristband, {**claims, "exp": int(time.time()) - 5})
    assert bearer("/bearer/", just_expired).status_code == 401


def test_the_default_leeway_is_a_minute(wristband: FakeWristband) -> None:
    claims = claims_of(access_token_of(wristband))
    recent = sign(wristband, {**claims, "exp": int(time.time()) - 30})
    assert bearer("/bearer/", recent).status_code == 200
    assert (
        bearer("/bearer/", sign(wristband, {**claims, "exp": int(time.time()) - 90})).status_code
        == 401
    )


# --- the middleware's protected_paths ---------------------------------------------------


@pytest.mark.wristband_settings(
    protected_paths=["/api/"], protected_paths_strategies=["session", "bearer"]
)
def test_protected_paths_accept_a_bearer_token_when_configured(wristband: FakeWristband) -> None:
    token = access_token_of(wristband)
    ok = bearer("/api/caller/", token)
    assert ok.status_code == 200 and ok.json()["user"]["by"] == "bearer"
    missing = Client().get("/api/caller/")
    assert missing.status_code == 401 and missing["WWW-Authenticate"] == "Bearer"
    forged = bearer("/api/caller/", HOSTILE_TOKENS["alg none"](wristband, token))
    assert forged.status_code == 401 and forged["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE
    client = Client()
    log_in(client, wristband)
    assert client.get("/api/caller/").json()["user"]["by"] == "session"


@pytest.mark.wristband_settings(protected_paths=["/api/"])
def test_protected_paths_take_only_the_session_by_default(wristband: FakeWristband) -> None:
    response = bearer("/api/caller/", access_token_of(wristband))
    assert response.status_code == 401 and "WWW-Authenticate" not in response


# --- outside a view ---------------------------------------------------------------------


def test_validate_access_token_for_code_outside_views(wristband: FakeWristband) -> None:
    token = access_token_of(wristband)
    claims = validate_access_token(token)
    assert (claims.user_id, claims.tenant_id) == ("usr_acme_admin", "tnt_acme")
    assert claims.client_id == wristband.client_id and not claims.is_machine
    assert token not in repr(claims)
    with pytest.raises(InvalidAccessTokenError) as refused:
        validate_access_token(HOSTILE_TOKENS["expired"](wristband, token))
    assert token[-16:] not in str(refused.value)


@pytest.mark.wristband_settings(jwks_cache_max_size=2)
def test_the_key_cache_keeps_at_most_its_size_newest_first(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    claims = claims_of(access_token_of(wristband))
    oldest = sign(wristband, claims)
    wristband.rotate_signing_key()
    wristband.rotate_signing_key()  # three keys published; the cache keeps the last two
    newest = sign(wristband, claims)
    assert bearer("/bearer/", newest).status_code == 200
    assert bearer("/bearer/", oldest).status_code == 401
    assert "more than jwks_cache_max_size (2)" in caplog.text


@pytest.mark.parametrize("code", [*range(32), 127], ids=lambda code: f"{code:#04x}")
def test_a_control_character_anywhere_in_the_token_is_401(
    wristband: FakeWristband, code: int
) -> None:
    """Only a space or a tab is refused as a malformed header; any other control character
    reaches the token's own check, which refuses it the same way (never a 500)."""
    token = access_token_of(wristband)
    for sent in (f"{token[:50]}{chr(code)}{token[50:]}", f"{chr(code)}x.y.z", f"a.b{chr(code)}.c"):
        response = Client().get("/bearer/", HTTP_AUTHORIZATION=f"Bearer {sent}")
        assert response.status_code == 401, repr(sent[:60])
        assert response["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE
