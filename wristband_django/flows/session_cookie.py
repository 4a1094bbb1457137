"""Django's session cookie: its name (whether a request carries one is
``session_cookie_name() in request.COOKIES``), and sending it for a session this app saved
itself (a login, a rolled expiry), exactly as ``SessionMiddleware`` sends it after its own
save."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.signals import setting_changed
from django.http import HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date


@cache
def session_cookie_name() -> str:
    """Return ``settings.SESSION_COOKIE_NAME``, read once (again when the setting changes).

    Every request asks whether it carries the session cookie, some code more than once: a
    read of ``settings`` runs Python code, a call of this (a C function) does not, nor does
    ``in request.COOKIES``, which is why those who ask write that out."""
    return str(settings.SESSION_COOKIE_NAME)


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "SESSION_COOKIE_NAME":
        session_cookie_name.cache_clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="wristband_django.session_cookie")


def send_session_cookie(response: HttpResponseBase, session: SessionBase) -> None:
    """Set the session cookie with a fresh expiry, as ``SessionMiddleware`` does after a save."""
    if session.get_expire_at_browser_close():
        max_age: int | None = None
        expires: str | None = None
    else:
        max_age = session.get_expiry_age()
        expires = http_date(time.time() + max_age)
    response.set_cookie(
        settings.SESSION_COOKIE_NAME,
        session.session_key or "",
        max_age=max_age,
        expires=expires,
        domain=settings.SESSION_COOKIE_DOMAIN,
        path=settings.SESSION_COOKIE_PATH,
        secure=bool(settings.SESSION_COOKIE_SECURE),
        httponly=bool(settings.SESSION_COOKIE_HTTPONLY),
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )
    patch_vary_headers(response, ("Cookie",))
