"""The test helpers `wristband_django.testing` ships for projects' own tests (issue 23,
point 7): `log_in`, `expire_access_token`, `FakeWristband.access_token_for` and the plugin's
`wristband_client`, each doing what docs/testing.md says, through the real views."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from wristband_django.testing import FakeWristband, expire_access_token, log_in

pytestmark = pytest.mark.wristband_settings(
    protected_paths=["/api/"], protected_paths_strategies=["session", "bearer"]
)


def test_log_in_picks_the_users_tenant(
    fake_wristband: FakeWristband, wristband_settings: dict
) -> None:
    client = Client()
    response = log_in(client, fake_wristband, "member@globex.test")
    assert response.status_code == 302
    session = client.get("/auth/session/").json()
    assert (session["userId"], session["tenantId"]) == ("usr_globex_member", "tnt_globex")


def test_wristband_client_is_logged_in_as_acmes_admin(wristband_client: Client) -> None:
    assert wristband_client.get("/auth/session/").json()["userId"] == "usr_acme_admin"


def test_an_expired_access_token_is_refreshed_on_the_next_request(
    fake_wristband: FakeWristband, wristband_client: Client
) -> None:
    before = wristband_client.get("/auth/token/").json()["accessToken"]
    expire_access_token(wristband_client)
    assert not fake_wristband.calls("token", grant_type="refresh_token")
    assert wristband_client.get("/api/caller/").status_code == 200
    assert len(fake_wristband.calls("token", grant_type="refresh_token")) == 1
    assert wristband_client.get("/auth/token/").json()["accessToken"] != before


def test_expire_access_token_without_a_session_says_so(wristband_settings: dict) -> None:
    with pytest.raises(AssertionError, match="no Wristband session"):
        expire_access_token(Client())


def test_an_access_token_for_a_fake_user_passes_every_check(
    fake_wristband: FakeWristband, wristband_settings: dict
) -> None:
    token = fake_wristband.access_token_for("member@globex.test")
    body = Client().get("/bearer/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert (body["user"]["userId"], body["user"]["tenantId"]) == (
        "usr_globex_member",
        "tnt_globex",
    )
    assert body["user"]["by"] == "bearer"


def test_access_token_for_takes_claims(
    fake_wristband: FakeWristband, wristband_settings: dict
) -> None:
    member = fake_wristband.access_token_for("member@acme.test")
    admin = fake_wristband.access_token_for("member@acme.test", roles=[{"name": "app:admin"}])
    expired = fake_wristband.access_token_for("member@acme.test", exp=int(time.time()) - 3600)
    assert Client().get("/admins/", HTTP_AUTHORIZATION=f"Bearer {member}").status_code == 403
    assert Client().get("/admins/", HTTP_AUTHORIZATION=f"Bearer {admin}").status_code == 200
    assert Client().get("/bearer/", HTTP_AUTHORIZATION=f"Bearer {expired}").status_code == 401
    with pytest.raises(KeyError):
        fake_wristband.access_token_for("nobody@acme.test")
