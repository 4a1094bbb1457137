"""Django's session cookie: whether a request carries one, and sending it for a session
this app saved itself (a login, a rolled expiry), exactly as ``SessionMiddleware`` sends it
after its own save."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date


@cache
def _cookie_name() -> str:
    # Read once (again when the setting changes): every request asks, some more than once,
    # and each read of ``settings`` runs Python code.
    return str(settings.SESSION_COOKIE_NAME)


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "SESSION_COOKIE_NAME":
        _cookie_name.cache_clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="wristband_django.session_cookie")


def has_session_cookie(request: HttpRequest) -> bool:
    """Tell whether the request carries Django's session cookie (``SESSION_COOKIE_NAME``)."""
    return _cookie_name() in request.COOKIES


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
