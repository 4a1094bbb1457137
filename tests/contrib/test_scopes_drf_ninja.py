"""Scopes in Django REST framework (``HasWristbandScopes``) and django-ninja
(``scopes=[...]`` on the auth classes): every scope needed, judged on the credential that
called (a session, a person's or a machine's bearer token), 403 naming the missing ones, and
for a bearer caller RFC 6750's ``WWW-Authenticate: Bearer error="insufficient_scope",
scope="..."``. The views are tests/guards/scope_urls.py's; the fake Wristband answers over
HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIRequestFactory

from tests.guards.scope_callers import KINDS, REQUIRED, caller, missing_description
from tests.guards.scope_urls import DrfAllOf
from wristband_django.contrib.drf import HasWristbandScopes, WristbandBearerAuthentication
from wristband_django.contrib.ninja import WristbandBearerAuth, WristbandSessionAuth
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.urls("tests.guards.scope_urls")

CHALLENGE = f'Bearer error="insufficient_scope", scope="{REQUIRED}"'
DRF_PATHS = ["/drf/", "/drf-attribute/"]
NINJA_PATHS = ["/ninja/either", "/ninja/async-either"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", DRF_PATHS + NINJA_PATHS)
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
@pytest.mark.parametrize("path", DRF_PATHS + NINJA_PATHS)
def test_a_caller_without_a_scope_is_403_with_the_challenge_for_a_token(
    wristband: FakeWristband,
    wristband_settings: dict[str, Any],
    settings: Any,
    path: str,
    kind: str,
) -> None:
    client, headers = caller(kind, False, wristband, wristband_settings, settings)
    response = client.get(path, **headers)
    assert response.status_code == 403
    assert response.json() == {"detail": missing_description(kind)}
    assert response.get("WWW-Authenticate") == (CHALLENGE if kind != "session" else None)


@pytest.mark.parametrize(
    ("path", "challenge"),
    [("/drf/", 'Session realm="api"'), ("/ninja/either", None), ("/ninja/async-either", None)],
)
def test_nobody_is_401_not_403(wristband: FakeWristband, path: str, challenge: str | None) -> None:
    response = Client().get(path)
    assert response.status_code == 401
    assert response.get("WWW-Authenticate") == challenge


def test_ninja_without_the_handlers_still_answers_403(
    wristband: FakeWristband, wristband_settings: dict[str, Any], settings: Any
) -> None:
    client, headers = caller("bearer", False, wristband, wristband_settings, settings)
    response = client.get("/ninja-plain/either", **headers)
    assert response.status_code == 403
    assert response.json() == {"detail": "You lack the scope this needs: roles."}


@pytest.mark.parametrize(
    ("user", "scope", "status"),
    [
        ("admin@acme.test", "openid", 200),  # the role, no scopes
        ("member@acme.test", "openid email roles", 200),  # the scopes, no role
        ("member@acme.test", "openid email", 403),  # neither
    ],
)
def test_composed_after_a_role_either_one_lets_in(
    wristband: FakeWristband, user: str, scope: str, status: int
) -> None:
    roles = [{"name": "app:admin"}] if user.startswith("admin") else []
    token = wristband.access_token_for(user, scope=scope, roles=roles)
    response = Client().get("/drf-role-or-scopes/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == status
    if status == 403:
        assert response["WWW-Authenticate"] == CHALLENGE


def test_a_view_that_names_no_scopes_is_a_configuration_error(wristband: FakeWristband) -> None:
    class Unnamed(DrfAllOf):
        authentication_classes = [WristbandBearerAuthentication]  # no middleware here
        permission_classes = [HasWristbandScopes]

    token = wristband.access_token_for("admin@acme.test", scope="email roles")
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    with pytest.raises(ImproperlyConfigured, match="Unnamed names no wristband_scopes"):
        Unnamed.as_view()(request)


@pytest.mark.parametrize("scopes", [(), ("email roles",), ('a"b',)])
def test_all_of_takes_scope_names(scopes: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="scope"):
        HasWristbandScopes.all_of(*scopes)


@pytest.mark.parametrize("auth_class", [WristbandBearerAuth, WristbandSessionAuth])
@pytest.mark.parametrize("scopes", ["roles", ["email roles"]])
def test_the_ninja_classes_take_scope_names(auth_class: Any, scopes: Any) -> None:
    with pytest.raises(ValueError, match="scope"):
        auth_class(scopes=scopes)
