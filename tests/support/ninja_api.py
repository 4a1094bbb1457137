"""A django-ninja API for tests/contrib/test_ninja.py: session, bearer, both, roles, sync and
async."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import include, path
from ninja import NinjaAPI

from tests.support import views
from wristband_django.contrib.ninja import (
    WristbandBearerAuth,
    WristbandSessionAuth,
    add_exception_handlers,
)

api = NinjaAPI(urls_namespace="wristband-tests")
add_exception_handlers(api)
plain = NinjaAPI(urls_namespace="wristband-tests-plain")  # without the handlers


def describe(request: HttpRequest) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    return {
        "userId": user.user_id,
        "tenantId": user.tenant_id,
        "by": user.authenticated_by,
        "roles": list(user.role_names),
        "hasToken": getattr(request, "wristband_token", None) is not None,
    }


@api.get("/session", auth=WristbandSessionAuth())
def session_get(request: HttpRequest) -> dict[str, Any]:
    return describe(request)


@api.post("/session", auth=WristbandSessionAuth())
def session_post(request: HttpRequest) -> dict[str, Any]:
    return describe(request)


@api.get("/bearer", auth=WristbandBearerAuth())
def bearer_get(request: HttpRequest) -> dict[str, Any]:
    return describe(request)


@api.get("/async-bearer", auth=WristbandBearerAuth())
async def async_bearer_get(request: HttpRequest) -> dict[str, Any]:
    return describe(request)


@api.post("/either", auth=[WristbandSessionAuth(), WristbandBearerAuth()])
def either_post(request: HttpRequest) -> dict[str, Any]:
    return describe(request)


@api.get("/async-session", auth=WristbandSessionAuth())
async def async_session_get(request: HttpRequest) -> dict[str, Any]:
    return describe(request)


ADMINS = ["app:admin"]


@api.get("/admins", auth=[WristbandBearerAuth(roles=ADMINS), WristbandSessionAuth(roles=ADMINS)])
def admins(request: HttpRequest) -> dict[str, Any]:
    return describe(request)


@plain.get("/bearer", auth=WristbandBearerAuth())
def plain_bearer_get(request: HttpRequest) -> dict[str, Any]:
    return describe(request)


urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("page/", views.page_with_a_form),  # sets the CSRF cookie
    path("ninja/", api.urls),
    path("ninja-plain/", plain.urls),
]
