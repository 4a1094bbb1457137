"""The demo's pages (Django-rendered and single-page), its protected APIs, and the Session and
Logout endpoints it customises."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from example_project.demo.fake_idp import TENANTS, tenant_display_name
from wristband_django.conf import get_config
from wristband_django.context_processors import wristband as wristband_context
from wristband_django.decorators import wristband_required
from wristband_django.types import WristbandRequest, WristbandSession
from wristband_django.views import LogoutView, SessionView

#: The root domain of the tenant subdomains (DEMO_TENANT_SUBDOMAINS=1).
ROOT_DOMAIN = "localhost"


@ensure_csrf_cookie
def home(request: HttpRequest, *, logged_out: bool = False) -> HttpResponse:
    """The Django-rendered page. Its script asks the Session endpoint who is logged in, unless
    the page already says nobody is (the ``wristband`` context processor)."""
    context = {**_site(request), "logged_out": logged_out, "tenants": _fake_tenants()}
    return render(request, "demo/home.html", context)


def logged_out(request: HttpRequest) -> HttpResponse:
    """Where Wristband sends the browser after logout: the home page, saying so."""
    return home(request, logged_out=True)


def _fake_tenants() -> list[dict[str, str]]:
    """The fake's tenants, to log in to one directly: none with tenant subdomains (the host
    names the tenant) or with real Wristband (its own page asks)."""
    if settings.REAL_WRISTBAND or settings.TENANT_SUBDOMAINS:
        return []
    return [{"name": t.name, "displayName": tenant_display_name(t.name)} for t in TENANTS]


def _site(request: HttpRequest) -> dict[str, Any]:
    """In tenant-subdomain mode: whose site this host is, and the other tenants' sites."""
    if not settings.TENANT_SUBDOMAINS:
        return {}
    host = request.get_host()
    label, _, rest = host.partition(".")
    tenant = label if rest.split(":")[0] == ROOT_DOMAIN else None
    tenant_homes = {}
    if not settings.REAL_WRISTBAND:
        tenant_homes = {t.name: f"http://{t.name}.{ROOT_DOMAIN}:{settings.PORT}/" for t in TENANTS}
        if tenant not in tenant_homes:
            tenant = None  # no such tenant in the fake Wristband: treat it as the root site
    others = [
        {"name": name, "displayName": tenant_display_name(name), "url": url}
        for name, url in tenant_homes.items()
        if name != tenant
    ]
    return {
        "subdomains": True,
        "host": host,
        "site_tenant": tenant_display_name(tenant) if tenant else None,
        "other_tenants": others,
    }


def hello(request: WristbandRequest) -> JsonResponse:
    """A protected API (``protected_paths``): the middleware refreshed the token if needed."""
    entry = request.wristband
    if entry is None:  # only without the middleware's protected_paths
        return JsonResponse({"error": "unauthorized"}, status=401)
    return JsonResponse(
        {
            "message": f"Hello {entry.userinfo.get('name') or entry.user_id}, from a protected API",
            "tenant": entry.tenant_name,
            "accessTokenExpiresAt": entry.expires_at,
            "lastRefreshedAt": entry.refreshed_at,
        }
    )


def spa(request: HttpRequest) -> HttpResponse:
    """The single-page app: an HTML shell and plain JavaScript modules (static/demo/spa/).

    Not ``ensure_csrf_cookie``, unlike the home page: an SPA's page may come from anywhere
    (a CDN, a static host), and it needs no cookie from it, since the login's callback sets
    the csrftoken cookie. ``loggedIn`` tells the script whether to ask the Session endpoint:
    with nobody logged in it would answer 401, which browsers log as an error. An SPA served
    from elsewhere asks anyway, and takes the 401 as "not logged in".
    """
    config = {
        "loginUrl": reverse("wristband:login"),
        "sessionUrl": reverse("wristband:session"),
        "logoutUrl": reverse("wristband:logout"),
        "messagesUrl": reverse("messages"),
        "logoutByGet": get_config().allow_logout_get,
        "loggedIn": bool(wristband_context(request)["wristband"]["is_authenticated"]),
        "tenants": _fake_tenants(),
    }
    return render(request, "demo/spa.html", {"spa_config": config})


@require_POST
@wristband_required
def send_message(request: WristbandRequest) -> JsonResponse:
    """The SPA's protected API, which takes POST: it answers what it received, and from whom.

    Outside ``protected_paths`` (``/api/``): the decorator alone protects it, answering 401
    with the ``loginUrl`` without a session. Being a POST, CsrfViewMiddleware refuses it (403)
    without the ``X-CSRFToken`` header before it runs.
    """
    try:
        text = json.loads(request.body)["text"]
    except (ValueError, KeyError, TypeError):
        text = None
    if not isinstance(text, str) or not text.strip():
        description = 'Send JSON with a message: {"text": "..."}.'
        return JsonResponse(
            {"error": "invalid_request", "error_description": description}, status=400
        )
    user = request.wristband_user
    assert user is not None  # @wristband_required
    return JsonResponse(
        {
            "received": text.strip()[:200],
            "from": user.full_name or user.user_id,
            "tenant": user.tenant_name,
        }
    )


class DemoSessionView(SessionView):
    """The Session endpoint, plus what the pages show: the tenant's display name, and the
    access token's expiry and last refresh (epoch ms) for the countdown. Never the token."""

    def get_metadata(self, wristband_session: WristbandSession) -> dict[str, Any]:
        metadata = super().get_metadata(wristband_session)
        tenant = wristband_session.tenant_name
        return {
            **metadata,
            "tenantDisplayName": tenant_display_name(tenant) if tenant else None,
            "accessTokenExpiresAt": wristband_session.expires_at,
            "accessTokenRefreshedAt": wristband_session.refreshed_at,
        }


class DemoLogoutView(LogoutView):
    """The Logout endpoint, sending Wristband's logout back to this site's logged-out page.

    A view hook rather than the ``logout_redirect_url`` setting: with tenant subdomains the
    page is on the tenant's own host. With real Wristband the setting applies (unset: Wristband
    sends the browser to your login URL), so the demo needs no extra URL registered there.
    """

    def get_redirect_url(self) -> str | None:
        if settings.REAL_WRISTBAND:
            return super().get_redirect_url()
        return self.request.build_absolute_uri(reverse("logged-out"))
