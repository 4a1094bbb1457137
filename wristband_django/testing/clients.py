"""Test-client helpers for a project's tests, as Django's ``Client.force_login`` is for its
users: log a test client in as a fake user, and make its access token expire.

Unlike the rest of ``wristband_django.testing`` these need Django (and the app's settings
pointed at the fake, which the pytest plugin's ``wristband_settings`` fixture does). They
go through your real views, middleware and session store: a test logged in this way is
logged in exactly as a browser is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from django.http import HttpResponse
    from django.test import Client

    from .fake import FakeWristband

__all__ = ["expire_access_token", "log_in"]


def log_in(
    client: Client,
    fake: FakeWristband,
    user: str | None = "admin@acme.test",
    *,
    query: str | None = None,
    **extra: Any,
) -> HttpResponse:
    """Log ``client`` in as the fake user ``user`` through the app's Login and Callback views.

    ``user`` is an email or a user id. Return the Callback endpoint's response, which is a
    redirect once the client is logged in.

    ``query`` is the Login endpoint's query string. By default it is ``tenant_name=`` the
    user's tenant; with a ``query`` given, ``user=None`` means the tenant's first user.
    ``extra`` goes with every request, e.g. ``HTTP_HOST="acme.example.com"`` for a tenant
    subdomain. Raise ``AssertionError`` when the Login endpoint does not send the browser to
    Wristband, and ``KeyError`` for a user the fake does not know.
    """
    from django.urls import reverse

    if query is None:
        query = urlencode({"tenant_name": fake.user(user or "admin@acme.test").tenant})
    login = f"{reverse('wristband:login')}?{query}"
    started = client.get(login, **extra)
    if started.status_code != 302:
        raise AssertionError(f"the Login endpoint answered {started.status_code}, not 302")
    callback = urlsplit(fake.authorize(started["Location"], user))
    return cast("HttpResponse", client.get(f"{callback.path}?{callback.query}", **extra))


def expire_access_token(client: Client) -> None:
    """Make the access token of ``client``'s Wristband session expire, as time would.

    The next request that needs the token refreshes it, through the fake's token endpoint.
    Raise ``AssertionError`` when the client has no Wristband session.
    """
    from django.conf import settings

    from wristband_django.store import session_entry
    from wristband_django.store.access import session_store

    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    stored = session_store(cookie.value) if cookie is not None and cookie.value else None
    entry = session_entry.load(stored) if stored is not None else None
    if stored is None or entry is None:
        raise AssertionError("the client has no Wristband session")
    session_entry.store(stored, replace(entry, expires_at=session_entry.now_ms() - 1))
    stored.save()
