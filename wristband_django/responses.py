"""The JSON answers front ends rely on when there is no usable session."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers


def unauthorized(request: HttpRequest) -> JsonResponse:
    """401 ``{"error": "unauthorized", "loginUrl": ...}``: log in again (see the README)."""
    login_url = request.build_absolute_uri(reverse("wristband:login"))
    response = JsonResponse({"error": "unauthorized", "loginUrl": login_url}, status=401)
    add_never_cache_headers(response)
    return response


RETRY_AFTER_SECONDS = 5


def store_unavailable() -> JsonResponse:
    """503: the session store is down. Not a 401: the user is still logged in."""
    body = {
        "error": "session_store_unavailable",
        "error_description": "Sessions are temporarily unavailable; try again shortly.",
    }
    response = JsonResponse(body, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    add_never_cache_headers(response)
    return response
