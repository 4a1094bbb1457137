"""docs/apis.md's scope blocks run, and the answer the page shows is the one a caller gets:
the decorator and mixin block (partial, in the page's first block's context), the 403 it
prints, the DRF permission and the django-ninja API, mounted and called through Django's
test client against the fake Wristband."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import Client
from django.urls import path
from django.views import View
from rest_framework.response import Response

from tests.docs.docs_blocks import code
from tests.support.docs_project import exec_block, filled, mount
from wristband_django.contrib.drf import (
    WristbandBearerAuthentication,
    WristbandSessionAuthentication,
)
from wristband_django.testing import FakeWristband, log_in

pytestmark = pytest.mark.usefixtures("wristband")


def bearer(fake: FakeWristband, scope: str) -> dict[str, str]:
    token = fake.access_token_for("member@acme.test", scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def session(
    fake: FakeWristband, wristband_settings: dict[str, Any], settings: Any, scopes: list[str]
) -> Client:
    """A client logged in by a login that asked for ``scopes`` (the fake grants them)."""
    settings.WRISTBAND_AUTH = {**wristband_settings, "scopes": scopes}
    client = Client()
    assert log_in(client, fake, "member@acme.test").status_code == 302
    return client


DEFAULT = ["openid", "offline_access", "email"]
WITH_PROFILE = [*DEFAULT, "profile"]


@pytest.fixture
def scoped_views(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's decorator and mixin block, after its first block, mounted."""
    context = exec_block(code("apis:guards"))
    contacts = "def contacts(request):\n    return JsonResponse({'by': 'contacts'})"
    block = filled(code("apis:scopes"), ("def contacts(request): ...", contacts))
    views = exec_block(block, {**context, "View": View, "JsonResponse": JsonResponse})
    card = type("Mounted", (views["ContactCard"],), {"get": lambda self, r: HttpResponse("ok")})
    mount(
        settings,
        monkeypatch,
        path("contacts/", views["contacts"]),
        path("card/", card.as_view()),
    )


def test_the_decorator_and_mixin_block_ask_for_every_scope(
    scoped_views: None,
    wristband: FakeWristband,
    wristband_settings: dict[str, Any],
    settings: Any,
) -> None:
    assert Client().get("/contacts/", **bearer(wristband, "openid email")).status_code == 200
    assert Client().get("/contacts/", **bearer(wristband, "openid")).status_code == 403
    assert Client().get("/card/", **bearer(wristband, "openid email")).status_code == 403
    assert Client().get("/card/", **bearer(wristband, "email profile")).status_code == 200
    client = session(wristband, wristband_settings, settings, DEFAULT)
    assert client.get("/contacts/").status_code == 200  # the default scopes have email
    assert client.get("/card/").status_code == 401  # bearer only
    without_email = session(wristband, wristband_settings, settings, ["openid", "profile"])
    refused = without_email.get("/contacts/")
    assert refused.status_code == 403 and "WWW-Authenticate" not in refused
    assert refused.json() == {
        "error": "forbidden",
        "error_description": "You lack the scope this needs: email.",
        "scope": "email",
    }


def test_the_answer_the_page_shows_is_the_one_a_token_without_a_scope_gets(
    scoped_views: None, wristband: FakeWristband
) -> None:
    status_line, header, blank, body = code("apis:scopes-answer").strip().split("\n")
    response = Client().get("/card/", **bearer(wristband, "openid email"))
    assert status_line == f"HTTP/1.1 {response.status_code} {response.reason_phrase}"
    name, _, value = header.partition(": ")
    assert response[name] == value and blank == ""
    assert response.json() == json.loads(body)


def test_the_drf_block(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    wristband: FakeWristband,
    wristband_settings: dict[str, Any],
) -> None:
    views = exec_block(code("apis:drf-scopes"))
    handler = {
        # Not the docs': the classes the page's settings block makes DRF's defaults, a handler.
        "authentication_classes": [WristbandSessionAuthentication, WristbandBearerAuthentication],
        "get": lambda self, request: Response({"user": request.user.pk}),
    }
    contact_list = type("Mounted", (views["ContactList"],), handler)
    mount(settings, monkeypatch, path("contacts/", contact_list.as_view()))
    assert Client().get("/contacts/", **bearer(wristband, "email profile")).status_code == 200
    refused = Client().get("/contacts/", **bearer(wristband, "openid email"))
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You lack the scope this needs: profile."}
    assert refused["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="email profile"'
    assert Client().get("/contacts/").status_code == 401
    granted = session(wristband, wristband_settings, settings, WITH_PROFILE)
    assert granted.get("/contacts/").json() == {"user": "usr_acme_member"}
    not_granted = session(wristband, wristband_settings, settings, DEFAULT)
    answer = not_granted.get("/contacts/")
    assert answer.status_code == 403 and "WWW-Authenticate" not in answer


def test_the_ninja_block(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    wristband: FakeWristband,
    wristband_settings: dict[str, Any],
) -> None:
    api = exec_block(code("apis:ninja-scopes"))["contacts_api"]
    mount(settings, monkeypatch, path("api/", api.urls))
    assert Client().get("/api/me", **bearer(wristband, "openid email")).json() == {
        "user": "usr_acme_member"
    }
    refused = Client().get("/api/me", **bearer(wristband, "openid"))
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You lack the scope this needs: email."}
    assert refused["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="email"'
    assert Client().get("/api/me").status_code == 401
    client = session(wristband, wristband_settings, settings, DEFAULT)
    assert client.get("/api/me").json() == {"user": "usr_acme_member"}
    without_email = session(wristband, wristband_settings, settings, ["openid"])
    assert without_email.get("/api/me").status_code == 403
