"""URLs for tests/security/test_jwks_failure_shapes.py: a view written like docs/apis.md's
example of ``validate_access_token`` (catching the documented pair, nothing else), beside
every other entry point that validates bearer tokens: the decorator, the mixin,
``protected_paths``, DRF and django-ninja."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from tests.support import drf_views, ninja_api, views
from wristband_django.bearer import (
    InvalidAccessTokenError,
    WristbandUnavailableError,
    bearer_token,
    validate_access_token,
)


def docs_example(request: HttpRequest) -> JsonResponse:
    """Answer what the token is, as an app following docs/apis.md would: 200 with its
    subject, 401 for a bad token, 503 when Wristband's keys cannot be had."""
    try:
        claims = validate_access_token(bearer_token(request) or "")
    except InvalidAccessTokenError:
        return JsonResponse({"outcome": "invalid"}, status=401)
    except WristbandUnavailableError:
        return JsonResponse({"outcome": "unavailable"}, status=503)
    return JsonResponse({"outcome": "valid", "sub": claims.user_id})


urlpatterns = [
    path("docs-example/", docs_example),
    path("bearer/", views.bearer_only),
    path("async-bearer/", views.async_bearer_only),
    path("admins-mixin/", views.AdminsMixinView.as_view()),
    path("api/whoami/", views.whoami),  # under protected_paths (the test's settings)
    path("drf/bearer/", drf_views.BearerOnly.as_view()),
    path("ninja/", ninja_api.api.urls),
    path("auth/", include("wristband_django.urls")),
]
