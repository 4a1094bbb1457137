"""Wristband roles: ``@wristband_required(roles=...)``, the mixin's ``required_roles`` and
DRF's ``HasWristbandRole``, from the session's userinfo or a bearer token's claims.

401 when not authenticated, 403 when authenticated without any of the roles."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from django.test import Client

from tests.support.auth_helpers import log_in, stored_entry
from tests.support.hostile_tokens import claims_of, sign
from wristband_django.decorators import wristband_required
from wristband_django.testing import FakeUser, FakeWristband
from wristband_django.types import WristbandRole, WristbandSession, WristbandUser

ROLE_PATHS = ["/admins/", "/async-admins/", "/admins-mixin/", "/async-admins-mixin/"]


def logged_in_as(fake: FakeWristband, user: str) -> Client:
    client = Client()
    log_in(client, fake, user=user)
    return client


def token_with_roles(fake: FakeWristband, roles: list[Any]) -> str:
    client = logged_in_as(fake, "member@acme.test")
    claims = claims_of(client.get("/auth/token/").json()["accessToken"])
    return sign(fake, {**claims, "roles": roles})


@pytest.mark.parametrize("path", ROLE_PATHS)
def test_a_session_user_with_the_role_passes(wristband: FakeWristband, path: str) -> None:
    response = logged_in_as(wristband, "admin@acme.test").get(path)
    assert response.status_code == 200
    assert response.json()["user"]["roles"] == ["app:admin"]


@pytest.mark.parametrize("path", ROLE_PATHS)
def test_a_session_user_without_the_role_is_403(wristband: FakeWristband, path: str) -> None:
    response = logged_in_as(wristband, "member@acme.test").get(path)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize("path", ROLE_PATHS)
def test_nobody_is_401_not_403(wristband: FakeWristband, path: str) -> None:
    assert Client().get(path).status_code == 401


@pytest.mark.parametrize("path", ROLE_PATHS)
def test_a_bearer_token_with_the_role_passes(wristband: FakeWristband, path: str) -> None:
    token = token_with_roles(wristband, [{"id": "r1", "name": "app:admin"}])
    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["user"]["by"] == "bearer"


@pytest.mark.parametrize("path", ROLE_PATHS)
@pytest.mark.parametrize("roles", [[], ["app:member"], ["APP:ADMIN"], "app:admin", None])
def test_a_bearer_token_without_the_role_is_403(
    wristband: FakeWristband, path: str, roles: Any
) -> None:
    token = token_with_roles(wristband, roles)
    assert Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403


def test_any_of_the_roles_is_enough(wristband: FakeWristband) -> None:
    token = token_with_roles(wristband, ["app:owner"])
    assert Client().get("/admins/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_roles_is_a_list_not_a_string() -> None:
    with pytest.raises(ValueError, match="list of role names"):
        wristband_required(roles="app:admin")
    with pytest.raises(ValueError, match="unknown strategies"):
        wristband_required(strategies=["jwt"])  # type: ignore[list-item]


# --- the typed user ---------------------------------------------------------------------


@pytest.mark.fake_wristband(
    users=[
        FakeUser(
            sub="usr_ada",
            tenant="acme",
            email="ada@acme.test",
            name="Ada Lovelace",
            roles=({"id": "rol_1", "name": "app:admin", "display_name": "Administrator"},),
            extra_claims={
                "given_name": "Ada",
                "family_name": "Lovelace",
                "picture": "https://img.acme.test/ada.png",
                "phone_number_verified": False,
                "updated_at": 1_700_000_000,
                "locale": "en-GB",
                "custom_claims": {"plan": "gold"},
            },
        )
    ]
)
# Each claim below needs its scope, at Wristband as at the fake: phone_number_verified, phone.
@pytest.mark.wristband_settings(scopes=["openid", "email", "profile", "phone", "roles"])
def test_the_user_has_typed_userinfo(wristband: FakeWristband) -> None:
    client = logged_in_as(wristband, "ada@acme.test")
    entry = stored_entry(client)
    assert entry is not None
    user = WristbandUser.from_session(entry)
    assert (user.user_id, user.tenant_id, user.tenant_name) == ("usr_ada", "tnt_acme", "acme")
    assert user.full_name == "Ada Lovelace" and user.given_name == "Ada"
    assert user.family_name == "Lovelace" and user.email == "ada@acme.test"
    assert user.email_verified is True and user.phone_number_verified is False
    assert user.picture_url == "https://img.acme.test/ada.png" and user.locale == "en-GB"
    assert user.updated_at == datetime.fromtimestamp(1_700_000_000, tz=timezone.utc)
    assert user.roles == (
        WristbandRole(id="rol_1", name="app:admin", display_name="Administrator"),
    )
    assert dict(user.custom_claims) == {"plan": "gold"}
    assert user.idp_name == "wristband" and user.application_id
    assert user.nickname is None and user.phone_number is None


def test_claims_of_the_wrong_type_read_as_absent() -> None:
    entry = WristbandSession(
        access_token="a",
        refresh_token=None,
        expires_at=0,
        user_id="u",
        tenant_id="t",
        userinfo={
            "email": 5,
            "email_verified": "yes",
            "roles": "app:admin",
            "updated_at": 1e300,
            "custom_claims": ["x"],
            "picture": "",
        },
    )
    user = WristbandUser.from_session(entry)
    assert user.email is None and user.email_verified is None and user.roles == ()
    assert user.updated_at is None and dict(user.custom_claims) == {} and user.picture_url is None
