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
    user's tenant; with a ``query`` given, ``user=None`` means the tenant's first user. A
    query that names no tenant, with application-level authorization requests on, logs in
    through Wristband's tenant discovery (the user's tenant is chosen) and, the first time
    for that tenant, through the tenant-level login that confirms it.
    ``extra`` goes with every request, e.g. ``HTTP_HOST="acme.example.com"`` for a tenant
    subdomain. Raise ``AssertionError`` when the Login endpoint does not send the browser to
    Wristband, and ``KeyError`` for a user the fake does not know.
    """
    from django.urls import reverse

    if query is None:
        query = urlencode({"tenant_name": fake.user(user or "admin@acme.test").tenant})
    login_path = reverse("wristband:login")
    authorize_url, response = _round_trip(client, fake, f"{login_path}?{query}", user, extra)
    application_level = urlsplit(authorize_url).netloc == fake.vanity_domain
    confirming = urlsplit(response.get("Location", ""))
    if application_level and response.status_code == 302 and confirming.path == login_path:
        # The tenant Wristband chose, confirmed by a tenant-level login (its first time here).
        _, response = _round_trip(client, fake, f"{login_path}?{confirming.query}", user, extra)
    return response


def _round_trip(
    client: Client, fake: FakeWristband, login: str, user: str | None, extra: dict[str, Any]
) -> tuple[str, HttpResponse]:
    """Return the authorize URL the Login URL ``login`` sends the browser to, and the Callback
    endpoint's response once ``fake`` answered it as ``user``."""
    started = client.get(login, **extra)
    if started.status_code != 302:
        raise AssertionError(f"the Login endpoint answered {started.status_code}, not 302")
    callback = urlsplit(fake.authorize(started["Location"], user))
    response = client.get(f"{callback.path}?{callback.query}", **extra)
    return started["Location"], cast("HttpResponse", response)


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
