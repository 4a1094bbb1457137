"""The demo's page, its protected API and a Session endpoint that also tells the token expiry."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from wristband_django.types import WristbandRequest, WristbandSession
from wristband_django.views import SessionView


@ensure_csrf_cookie
def home(request: HttpRequest) -> HttpResponse:
    """The single page: it asks the Session endpoint who is logged in."""
    tenant_homes = {}
    if settings.TENANT_SUBDOMAINS and not settings.REAL_WRISTBAND:
        tenant_homes = {
            name: f"http://{name}.localhost:{settings.PORT}/" for name in ("acme", "globex")
        }
    return render(request, "demo/home.html", {"tenant_homes": tenant_homes})


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


class DemoSessionView(SessionView):
    """The Session endpoint, plus the access token's expiry for the page's countdown."""

    def get_metadata(self, entry: WristbandSession) -> dict[str, Any]:
        return {**super().get_metadata(entry), "accessTokenExpiresAt": entry.expires_at}
