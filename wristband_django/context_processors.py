"""Template context: ``{{ wristband.email }}``, ``{% if wristband.is_authenticated %}``...

Add ``"wristband_django.context_processors.wristband"`` to the template engine's
``context_processors``. Lazy: a template that does not use ``wristband`` costs nothing
(no session read, no ``Vary: Cookie``). Never refreshes, never calls Wristband, and
never puts a token in the context.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from wristband_django.store import session_entry
from wristband_django.store.outages import STORE_ERRORS
from wristband_django.types import WristbandSession

__all__ = [
    "wristband",
]


def _wristband_session(request: HttpRequest) -> WristbandSession | None:
    """Return ``request.wristband`` if the middleware (or a decorator) set it.

    Otherwise return the Wristband session as stored (not refreshed), or ``None`` when the
    session store does not answer."""
    if hasattr(request, "wristband"):
        wristband_session: WristbandSession | None = request.wristband
        return wristband_session
    session = getattr(request, "session", None)
    if session is None:
        return None
    try:
        return session_entry.load(session)
    except STORE_ERRORS:  # a page render does not fail because the session store is down
        return None


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _values(request: HttpRequest) -> dict[str, Any]:
    wristband_session = _wristband_session(request)
    return {
        "is_authenticated": wristband_session is not None,
        "user_id": wristband_session.user_id if wristband_session else None,
        "tenant_id": wristband_session.tenant_id if wristband_session else None,
        "tenant_name": wristband_session.tenant_name if wristband_session else None,
        "email": wristband_session.userinfo.get("email") if wristband_session else None,
        "name": wristband_session.userinfo.get("name") if wristband_session else None,
        "login_url": _url("wristband:login"),
        "logout_url": _url("wristband:logout"),
    }


def wristband(request: HttpRequest) -> dict[str, Any]:
    """Return ``{"wristband": {...}}``: the identity and the login/logout URLs, never a token."""
    return {"wristband": SimpleLazyObject(lambda: _values(request))}
