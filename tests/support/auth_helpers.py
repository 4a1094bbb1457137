"""Drive the real views through the test client and the fake Wristband over HTTP."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpResponse
from django.test import Client

from wristband_django import testing
from wristband_django.store import session_entry
from wristband_django.store.access import session_store
from wristband_django.store.session_entry import WristbandSession
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
    """A full login with this query (the shipped ``wristband_django.testing.log_in``, whose
    query the suite's tests give first); returns the callback's response."""
    return testing.log_in(client, fake, user, query=query, **extra)


def stored_session(client: Client) -> SessionBase | None:
    """The session the client's cookie names, as the project's engine stores it (read when
    first used); None without a session cookie. The one way the tests look into the store."""
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is None or not cookie.value:
        return None
    return session_store(cookie.value)


def stored_entry(client: Client) -> WristbandSession | None:
    """The client's Wristband entry as the store holds it right now (tokens decrypted)."""
    store = stored_session(client)
    return session_entry.load(store) if store is not None else None


def expire_access_token(client: Client) -> WristbandSession:
    """Make the stored access token expired (the shipped helper); returns the stored entry."""
    testing.expire_access_token(client)
    entry = stored_entry(client)
    assert entry is not None
    return entry


def admin_client() -> Client:
    """A test client logged in to Django's admin as a new superuser."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("root", "root@example.test", "pw")
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client
