"""Every entry point that checks scopes, each requiring ``email`` and ``roles`` and taking a
session or a bearer token (a person's or a machine's), for tests/guards/test_scopes.py and
tests/contrib/test_scopes_drf_ninja.py.

Each view answers 200 with who called and how (``caller``); a refused caller gets the
entry point's 401 or 403.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views import View
from ninja import NinjaAPI
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from wristband_django.contrib.drf import (
    HasWristbandRole,
    HasWristbandScopes,
    WristbandBearerAuthentication,
    WristbandSessionAuthentication,
)
from wristband_django.contrib.ninja import (
    WristbandBearerAuth,
    WristbandSessionAuth,
    add_exception_handlers,
)
from wristband_django.decorators import wristband_required
from wristband_django.mixins import WristbandRequiredMixin

REQUIRED = ["email", "roles"]
EITHER = ["session", "bearer"]


def caller(request: HttpRequest) -> dict[str, Any]:
    """Who called and how: ``session``, ``bearer`` or ``machine``, and the user id."""
    user = request.wristband_user  # type: ignore[attr-defined]
    kind = "machine" if user.is_machine else user.authenticated_by
    return {"by": kind, "userId": user.user_id}


@wristband_required(strategies=EITHER, scopes=REQUIRED)
def decorated(request: HttpRequest) -> JsonResponse:
    return JsonResponse(caller(request))


@wristband_required(strategies=EITHER, scopes=REQUIRED)
async def async_decorated(request: HttpRequest) -> JsonResponse:
    return JsonResponse(caller(request))


class Mixin(WristbandRequiredMixin, View):
    strategies = EITHER
    required_scopes = REQUIRED

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(caller(request))


class AsyncMixin(Mixin):
    async def get(self, request: HttpRequest) -> JsonResponse:  # type: ignore[override]
        return JsonResponse(caller(request))


class DrfAllOf(APIView):
    authentication_classes = [WristbandSessionAuthentication, WristbandBearerAuthentication]
    permission_classes = [HasWristbandScopes.all_of(*REQUIRED)]

    def get(self, request: Request) -> Response:
        return Response(caller(request._request))


class DrfViewAttribute(DrfAllOf):
    """The other way to configure it: the view names its scopes."""

    permission_classes = [HasWristbandScopes]
    wristband_scopes = REQUIRED


class DrfRoleOrScopes(DrfAllOf):
    """Composed: the ``app:admin`` role, or else the scopes (the scope class last)."""

    permission_classes = [
        HasWristbandRole.any_of("app:admin") | HasWristbandScopes.all_of(*REQUIRED)
    ]


api = NinjaAPI(urls_namespace="scope-tests")
add_exception_handlers(api)
plain = NinjaAPI(urls_namespace="scope-tests-plain")  # without the handlers
NINJA_AUTH = [WristbandSessionAuth(scopes=REQUIRED), WristbandBearerAuth(scopes=REQUIRED)]


@api.get("/either", auth=NINJA_AUTH)
def ninja_either(request: HttpRequest) -> dict[str, Any]:
    return caller(request)


@api.get("/async-either", auth=NINJA_AUTH)
async def ninja_async_either(request: HttpRequest) -> dict[str, Any]:
    return caller(request)


@plain.get("/either", auth=NINJA_AUTH)
def plain_either(request: HttpRequest) -> dict[str, Any]:
    return caller(request)


urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("decorated/", decorated),
    path("async-decorated/", async_decorated),
    path("mixin/", Mixin.as_view()),
    path("async-mixin/", AsyncMixin.as_view()),
    path("drf/", DrfAllOf.as_view()),
    path("drf-attribute/", DrfViewAttribute.as_view()),
    path("drf-role-or-scopes/", DrfRoleOrScopes.as_view()),
    path("ninja/", api.urls),
    path("ninja-plain/", plain.urls),
]
