"""Scopes: ``@wristband_required(scopes=...)`` and the mixin's ``required_scopes``, judged on
the scopes of the credential that called: a session's (what Wristband granted the login, kept
with the session and updated by refreshes), a person's or a machine's bearer token's
(``scope`` claim). Every scope is needed; a caller without one gets 403, a bearer caller with
RFC 6750's ``insufficient_scope`` challenge. All against the fake Wristband over HTTP."""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import asdict
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.views import View

from tests.guards.scope_callers import (
    KINDS,
    REQUIRED,
    WITH_ROLES,
    caller,
    missing_description,
)
from tests.support.auth_helpers import (
    expire_access_token,
    finish_login,
    log_in,
    query_of,
    start_login,
    stored_entry,
    stored_session,
)
from tests.support.hostile_tokens import claims_of
from wristband_django.bearer import validate_access_token
from wristband_django.decorators import wristband_required
from wristband_django.mixins import WristbandRequiredMixin
from wristband_django.store import sealing, session_entry
from wristband_django.store.engines import CACHE_ENGINE
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.urls("tests.guards.scope_urls")

PATHS = ["/decorated/", "/async-decorated/", "/mixin/", "/async-mixin/"]
CHALLENGE = f'Bearer error="insufficient_scope", scope="{REQUIRED}"'


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", PATHS)
def test_a_caller_granted_every_scope_passes(
    wristband: FakeWristband,
    wristband_settings: dict[str, Any],
    settings: Any,
    path: str,
    kind: str,
) -> None:
    client, headers = caller(kind, True, wristband, wristband_settings, settings)
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content
    assert response.json()["by"] == kind


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", PATHS)
def test_a_caller_without_a_scope_is_403_naming_it(
    wristband: FakeWristband,
    wristband_settings: dict[str, Any],
    settings: Any,
    path: str,
    kind: str,
) -> None:
    client, headers = caller(kind, False, wristband, wristband_settings, settings)
    response = client.get(path, **headers)
    assert response.status_code == 403
    bearer = kind != "session"
    assert response.json() == {
        "error": "insufficient_scope" if bearer else "forbidden",
        "error_description": missing_description(kind),
        "scope": REQUIRED,
    }
    assert response.get("WWW-Authenticate") == (CHALLENGE if bearer else None)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", PATHS)
def test_nobody_is_401_not_403(wristband: FakeWristband, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"


def test_every_scope_is_needed_not_one_of_them(wristband: FakeWristband) -> None:
    only_roles = wristband.access_token_for("admin@acme.test", scope="openid roles")
    response = Client().get("/decorated/", HTTP_AUTHORIZATION=f"Bearer {only_roles}")
    assert response.status_code == 403
    assert response.json()["error_description"] == "You lack the scope this needs: email."


@pytest.mark.parametrize("scope", ["ROLES EMAIL", "email roles:read", "emailroles", ""])
def test_scope_names_are_compared_exactly(wristband: FakeWristband, scope: str) -> None:
    token = wristband.access_token_for("admin@acme.test", scope=scope)
    assert Client().get("/mixin/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403


@pytest.mark.parametrize("claim", [["email", "roles"], {"email": True}, 7, None])
def test_a_scope_claim_that_is_not_text_grants_nothing(
    wristband: FakeWristband, claim: Any
) -> None:
    token = wristband.access_token_for("admin@acme.test", scope=claim)
    assert Client().get("/decorated/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403


def test_the_fakes_access_token_for_carries_the_scope_it_is_given(wristband: FakeWristband) -> None:
    token = wristband.access_token_for("member@acme.test", scope="openid email roles")
    assert claims_of(token)["scope"] == "openid email roles"
    assert validate_access_token(token).scopes == ("openid", "email", "roles")


# --- what a session was granted ---------------------------------------------------------------


@pytest.mark.parametrize("scopes", [WITH_ROLES, ["openid", "email", "roles", "profile"]])
def test_the_session_keeps_the_scopes_wristband_granted_its_login(
    wristband: FakeWristband, wristband_settings: dict[str, Any], settings: Any, scopes: list[str]
) -> None:
    settings.WRISTBAND_AUTH = {**wristband_settings, "scopes": scopes}
    client = Client()
    log_in(client, wristband)
    entry = stored_entry(client)
    assert entry is not None and entry.scopes == tuple(scopes)
    token = client.get("/auth/token/").json()["accessToken"]
    assert claims_of(token)["scope"] == " ".join(scopes)  # the fake granted what was asked
    assert client.get("/decorated/").status_code == 200


def _signed_id_token(fake: FakeWristband, nonce: str) -> str:
    now = int(time.time())
    claims = {
        "iss": fake.issuer,
        "sub": "usr_acme_admin",
        "aud": fake.client_id,
        "exp": now + 300,
        "iat": now,
        "auth_time": now,
        "nonce": nonce,
        "tnt_id": "tnt_acme",
    }
    return fake.sign_access_token(claims)  # RS256 with the key the JWKS publishes


def test_a_login_answer_naming_no_scope_grants_the_scopes_asked_for(
    wristband: FakeWristband, wristband_settings: dict[str, Any], settings: Any
) -> None:
    """RFC 6749 5.1: a token answer without ``scope`` granted the scopes requested."""
    settings.WRISTBAND_AUTH = {**wristband_settings, "scopes": WITH_ROLES}
    earlier = Client()
    log_in(earlier, wristband, user="admin@acme.test")
    access_token = earlier.get("/auth/token/").json()["accessToken"]  # one the fake issued
    client = Client()
    authorize_url = start_login(client)["Location"]
    nonce = query_of(authorize_url)["nonce"]
    answer = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 3600,
        "id_token": _signed_id_token(wristband, nonce),
        "refresh_token": "rt-without-scope",
    }  # no "scope"
    wristband.inject("token", json=answer, grant_type="authorization_code")
    assert finish_login(client, wristband, authorize_url, "admin@acme.test").status_code == 302
    entry = stored_entry(client)
    assert entry is not None and entry.scopes == tuple(WITH_ROLES)
    assert client.get("/mixin/").status_code == 200


def test_a_refresh_answer_naming_no_scope_keeps_the_sessions_scopes(
    wristband: FakeWristband, wristband_settings: dict[str, Any], settings: Any
) -> None:
    """RFC 6749 6: a refresh answer without ``scope`` leaves the granted scopes as they were."""
    client, _ = caller("session", True, wristband, wristband_settings, settings)
    access_token = client.get("/auth/token/").json()["accessToken"]
    expire_access_token(client)
    answer = {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}
    wristband.inject("token", json=answer, grant_type="refresh_token")
    assert client.get("/decorated/").status_code == 200
    assert len(wristband.calls("token", grant_type="refresh_token")) == 1
    entry = stored_entry(client)
    assert entry is not None and entry.scopes == tuple(WITH_ROLES) and entry.refreshed_at


def _store_as_before_scopes(client: Client) -> None:
    """Rewrite the client's entry as a version that kept no scopes wrote it: no ``scopes``."""
    session, entry = stored_session(client), stored_entry(client)
    assert session is not None and entry is not None
    values = asdict(entry)
    del values["scopes"]
    sealed = sealing.seal_entry(zlib.compress(json.dumps(values).encode()))
    cache_engine = django_settings.SESSION_ENGINE == CACHE_ENGINE
    session[session_entry.SESSION_KEY] = sealed if cache_engine else sealing.entry_to_text(sealed)
    session.save()


def test_a_session_stored_before_scopes_were_kept_has_none_until_its_next_refresh(
    wristband: FakeWristband, wristband_settings: dict[str, Any], settings: Any
) -> None:
    client, _ = caller("session", True, wristband, wristband_settings, settings)
    _store_as_before_scopes(client)
    entry = stored_entry(client)
    assert entry is not None and entry.scopes is None  # still a session: not logged out
    assert client.get("/auth/session/").json()["userId"] == "usr_acme_admin"
    refused = client.get("/decorated/")
    assert refused.status_code == 403
    assert refused.json()["error_description"] == "You lack the scopes this needs: email roles."
    expire_access_token(client)  # the next request refreshes; Wristband names the scopes
    assert client.get("/decorated/").status_code == 200
    entry = stored_entry(client)
    assert entry is not None and entry.scopes == tuple(WITH_ROLES)


# --- declaring them -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ("roles", "list of scope names, not one string"),
        (["email roles"], "not scope names"),
        (['ro"les'], "not scope names"),
        (["ro\\les"], "not scope names"),
        ([""], "not scope names"),
        (["rôles"], "not scope names"),
    ],
)
def test_scopes_that_are_not_scope_names_fail_where_the_view_is_declared(
    scopes: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        wristband_required(scopes=scopes)

    class Declared(WristbandRequiredMixin, View):
        required_scopes = scopes

    with pytest.raises(ValueError, match=message):
        Declared.as_view()
    given = type("Given", (WristbandRequiredMixin, View), {})
    with pytest.raises(ValueError, match=message):
        given.as_view(required_scopes=scopes)
