"""The fake honours the requested scopes as Wristband does (issue 25, point 6): userinfo
returns a claim only with its scope, the ID token its email only with ``email``, a refresh
keeps the login's scopes, and a role check that passes with the ``roles`` scope answers 403
without it, through the real views, as a production app would against Wristband."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.fake.test_fake_wristband import (
    exchange,
    refresh,
    single_values,
    start_login,
    userinfo,
    verify,
)
from wristband_django.testing import FakeUser, FakeWristband, log_in

ALWAYS = {"sub", "tnt_id", "app_id", "idp_name"}
FULL = FakeUser(
    "usr_full",
    "acme",
    "full@acme.test",
    name="Full Name",
    roles=({"id": "rol_admin", "name": "app:admin", "display_name": "Admin"},),
    extra_claims={
        "given_name": "Full",
        "locale": "fr",
        "phone_number": "+33100000000",
        "phone_number_verified": True,
        "custom_claims": {"plan": "gold"},
    },
)


def tokens_for(fake: FakeWristband, scope: str, user: str = "usr_full") -> dict[str, Any]:
    """Log ``user`` in with ``scope`` at the fake, as an app would, and return the tokens."""
    login = start_login(fake, scope=scope)
    code = single_values(fake.authorize(login.url, user))["code"]
    response = exchange(fake, login, code)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


@pytest.mark.parametrize(
    ("scope", "granted"),
    [
        ("openid", set()),
        ("openid profile", {"name", "given_name", "locale"}),
        ("openid email", {"email", "email_verified"}),
        ("openid phone", {"phone_number", "phone_number_verified"}),
        ("openid roles", {"roles"}),
        (
            "openid offline_access profile email phone roles",
            {"name", "given_name", "locale", "email", "email_verified"}
            | {"phone_number", "phone_number_verified", "roles"},
        ),
    ],
)
def test_each_scope_gates_its_userinfo_claims(
    fake_wristband: FakeWristband, scope: str, granted: set[str]
) -> None:
    fake_wristband.add_user(FULL)
    info = userinfo(fake_wristband, tokens_for(fake_wristband, scope)["access_token"]).json()
    # custom_claims no scope names: returned whatever the scopes, as Wristband does.
    assert set(info) == ALWAYS | {"custom_claims"} | granted
    assert (info["sub"], info["tnt_id"], info["app_id"]) == ("usr_full", "tnt_acme", "app_fake")


def test_the_default_users_roles_need_the_roles_scope(fake_wristband: FakeWristband) -> None:
    without = tokens_for(fake_wristband, "openid offline_access email", "admin@acme.test")
    with_roles = tokens_for(fake_wristband, "openid email roles", "admin@acme.test")
    assert "roles" not in userinfo(fake_wristband, without["access_token"]).json()
    roles = userinfo(fake_wristband, with_roles["access_token"]).json()["roles"]
    assert [role["name"] for role in roles] == ["app:admin"]


@pytest.mark.parametrize(
    ("scope", "has_email"),
    [("openid", False), ("openid email", True), ("openid profile roles phone", False)],
)
def test_the_id_token_carries_the_email_only_with_the_email_scope(
    fake_wristband: FakeWristband, scope: str, has_email: bool
) -> None:
    fake_wristband.add_user(FULL)
    claims = verify(fake_wristband, tokens_for(fake_wristband, scope)["id_token"])
    assert ("email" in claims, "email_verified" in claims) == (has_email, has_email)
    assert not {"name", "roles", "locale", "phone_number"} & set(claims)
    assert (claims["tnt_id"], claims["app_id"], claims["idp_name"]) == (
        "tnt_acme",
        "app_fake",
        "wristband",
    )


@pytest.mark.parametrize("scope", ["openid offline_access email", "openid offline_access roles"])
def test_a_refresh_keeps_the_scopes_of_the_login(fake_wristband: FakeWristband, scope: str) -> None:
    fake_wristband.add_user(FULL)
    tokens = tokens_for(fake_wristband, scope)
    refreshed = refresh(fake_wristband, tokens["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.json()["scope"] == scope
    before = userinfo(fake_wristband, tokens["access_token"]).json()
    after = userinfo(fake_wristband, refreshed.json()["access_token"]).json()
    assert set(after) == set(before)
    assert ("roles" in after, "email" in after) == ("roles" in scope, "email" in scope)
    id_claims = verify(fake_wristband, refreshed.json()["id_token"])
    assert ("email" in id_claims) == ("email" in scope)


# --- through the real views -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "status"),
    [
        (["openid", "offline_access", "email", "roles"], 200),
        (["openid", "offline_access", "email"], 403),  # the package's default scopes
    ],
)
@pytest.mark.parametrize("view", ["/admins/", "/admins-mixin/"])
def test_a_role_check_passes_only_with_the_roles_scope(
    fake_wristband: FakeWristband,
    wristband_settings: dict[str, Any],
    settings: Any,
    scopes: list[str],
    status: int,
    view: str,
) -> None:
    settings.WRISTBAND_AUTH = {**wristband_settings, "scopes": scopes}
    client = Client()
    assert log_in(client, fake_wristband, "admin@acme.test").status_code == 302  # app:admin
    response = client.get(view)
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"] == "forbidden"
    session = client.get("/auth/session/").json()
    assert session["userId"] == "usr_acme_admin"  # logged in either way: only the role differs
