"""A site under a strict Content Security Policy, for tests/docs/test_browser_csp.py: two
pages of its own, and the policy's middleware where Django has none (before 6.0).

``CSP_TEST_MODE`` (an environment variable) picks the policy: ``static``, a strict
``default-src 'self'``; ``nonce``, the same with ``style-src 'self' 'nonce-...'``. Under
Django before 6.0 ``StrictPolicyMiddleware`` sends it, offering a nonce the way django-csp
does (``request.csp_nonce``); under Django 6.0+ Django's own middleware does
(``csp_settings``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

#: The mode the server runs in (see the module's docstring).
MODE = os.environ.get("CSP_TEST_MODE", "static")


class StrictPolicyMiddleware:
    """Send ``Content-Security-Policy: default-src 'self'``; in ``nonce`` mode, also allow
    the styles that carry this request's ``request.csp_nonce``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        policy = "default-src 'self'"
        if MODE == "nonce":
            nonce = secrets.token_urlsafe(16)
            request.csp_nonce = nonce  # type: ignore[attr-defined]
            policy += f"; style-src 'self' 'nonce-{nonce}'"
        response = self.get_response(request)
        response["Content-Security-Policy"] = policy
        return response


def another_site_link(request: HttpRequest) -> HttpResponse:
    """A page to open as ``127.0.0.1``, another *site* than ``localhost``: its link to the
    logout URL on ``localhost`` is a cross-site navigation, which gets the confirmation."""
    logout = f"http://localhost:{request.get_port()}/auth/logout/"
    return HttpResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Elsewhere</title>'
        f'</head><body><a id="logout" href="{logout}">Log out of the other site</a></body></html>'
    )


def inline_style(request: HttpRequest) -> HttpResponse:
    """A page with a plain inline ``<style>``, which the policy blocks: the test's proof that
    it sees a violation when there is one."""
    return HttpResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Inline</title>'
        "<style>body { color: #222; }</style></head><body><h1>Inline</h1></body></html>"
    )
