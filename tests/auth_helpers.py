"""Drive the real views through the test client and the fake Wristband over HTTP."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.http import HttpResponse
from django.test import Client

from wristband_django.testing import FakeWristband


def query_of(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def login_cookies(response: HttpResponse) -> dict[str, Any]:
    """The login-state cookies a response sets (name -> morsel)."""
    cookies: SimpleCookie = response.cookies
    return {name: morsel for name, morsel in cookies.items() if name.startswith("login#")}


def start_login(client: Client, query: str = "tenant_name=acme", **extra: Any) -> HttpResponse:
    response = client.get(f"/auth/login/?{query}", **extra)
    assert response.status_code == 302, response.content
    return response


def finish_login(
    client: Client, fake: FakeWristband, authorize_url: str, user: str | None = None, **extra: Any
) -> HttpResponse:
    callback_url = fake.authorize(authorize_url, user)
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}", **extra)


def log_in(
    client: Client,
    fake: FakeWristband,
    query: str = "tenant_name=acme",
    user: str | None = None,
    **extra: Any,
) -> HttpResponse:
    """A full login; returns the callback's response."""
    started = start_login(client, query, **extra)
    return finish_login(client, fake, started["Location"], user, **extra)
