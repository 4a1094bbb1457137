"""The fake's ``client_credentials`` grant for machine clients, driven over real HTTP."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote_plus

import jwt
import pytest
import requests

from wristband_django.testing import FakeWristband

MACHINE_ID = "m2m-client"
MACHINE_SECRET = "m2m-secret-0123456789abcdef"
TIMEOUT = 5


@pytest.fixture
def fake(fake_wristband: FakeWristband) -> FakeWristband:
    fake_wristband.add_machine_client(MACHINE_ID, MACHINE_SECRET)
    return fake_wristband


def client_credentials(
    fake: FakeWristband, auth: tuple[str, str] | None = (MACHINE_ID, MACHINE_SECRET), **form: str
) -> requests.Response:
    return requests.post(
        f"{fake.base_url}/api/v1/oauth2/token",
        data={"grant_type": "client_credentials", **form},
        auth=auth,
        timeout=TIMEOUT,
    )


def verified_claims(fake: FakeWristband, token: str) -> dict[str, Any]:
    """The claims of ``token``, checked against the JWKS the fake serves."""
    jwks = requests.get(f"{fake.base_url}/api/v1/oauth2/jwks", timeout=TIMEOUT).json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=fake.issuer, options={"require": ["exp"]}
    )
    return claims


def test_a_machine_client_gets_a_signed_access_token_only(fake: FakeWristband) -> None:
    answer = client_credentials(fake)

    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}  # no refresh or ID token
    assert body["token_type"] == "Bearer" and body["expires_in"] == fake.access_token_ttl
    assert jwt.get_unverified_header(body["access_token"])["kid"] == fake.current_kid
    claims = verified_claims(fake, body["access_token"])
    assert claims["sub"] == claims["client_id"] == MACHINE_ID
    assert claims["sub_kind"] == "client"
    assert claims["exp"] - claims["iat"] == fake.access_token_ttl
    assert "aud" not in claims and "tnt_id" not in claims  # an application-level client
    again = verified_claims(fake, client_credentials(fake).json()["access_token"])
    assert again["jti"] != claims["jti"]


def test_the_access_token_lifetime_is_the_fakes_setting(fake: FakeWristband) -> None:
    fake.access_token_ttl = 5

    body = client_credentials(fake).json()

    assert body["expires_in"] == 5
    claims = verified_claims(fake, body["access_token"])
    assert claims["exp"] - claims["iat"] == 5


@pytest.mark.parametrize(
    "auth",
    [None, (MACHINE_ID, "wrong-secret"), ("unknown-client", MACHINE_SECRET)],
    ids=["no-credentials", "wrong-secret", "unknown-client"],
)
def test_unknown_credentials_are_invalid_client(
    fake: FakeWristband, auth: tuple[str, str] | None
) -> None:
    answer = client_credentials(fake, auth)

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_the_applications_own_client_may_not_use_the_grant(fake: FakeWristband) -> None:
    answer = client_credentials(fake, (fake.client_id, fake.client_secret))

    assert answer.status_code == 400
    assert answer.json()["error"] == "unauthorized_client"


def test_a_machine_client_has_no_other_grant(fake: FakeWristband) -> None:
    answer = requests.post(
        f"{fake.base_url}/api/v1/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": "rt_anything"},
        auth=(MACHINE_ID, MACHINE_SECRET),
        timeout=TIMEOUT,
    )

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_form_encoded_credentials_are_accepted(fake_wristband: FakeWristband) -> None:
    client_id, secret = "m2m:with spaces", "s3cret+with/odd:chars"
    fake_wristband.add_machine_client(client_id, secret)
    encoded = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode())

    answer = requests.post(
        f"{fake_wristband.base_url}/api/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {encoded.decode()}"},
        timeout=TIMEOUT,
    )

    assert answer.status_code == 200
    assert verified_claims(fake_wristband, answer.json()["access_token"])["sub"] == client_id


def test_token_faults_apply_to_the_grant(fake: FakeWristband) -> None:
    fault = fake.inject("token", status=503)

    failed = client_credentials(fake)
    recovered = client_credentials(fake)

    assert failed.status_code == 503 and failed.json()["error"] == "server_error"
    assert recovered.status_code == 200
    assert fault.hits == 1
    assert len(fake.calls("token", grant_type="client_credentials")) == 2
    assert [r["grant_type"] for r in fake.summary()] == ["client_credentials"] * 2


def test_add_machine_client_validates_its_arguments(fake_wristband: FakeWristband) -> None:
    with pytest.raises(ValueError, match="id and a secret"):
        fake_wristband.add_machine_client("m2m", "")
    with pytest.raises(ValueError, match="not the application's"):
        fake_wristband.add_machine_client(fake_wristband.client_id, "another-secret")
