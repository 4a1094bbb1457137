"""Sending the session cookie for a session this app saved itself (a login, a rolled
expiry), exactly as ``SessionMiddleware`` sends it after its own save."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date


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
