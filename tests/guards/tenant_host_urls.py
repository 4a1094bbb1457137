"""Every entry point a credential can reach a view through, each answering with the one
principal it sees, for tests/guards/test_tenant_hosts.py, tests/guards/test_one_principal.py and
tests/guards/test_csrf_per_strategy.py.

Each view answers 200 with ``principal(request)``; a refused caller gets what an
unauthenticated one gets there (401, or a ``null`` user on an open page).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views import View
from ninja import NinjaAPI
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from wristband_django.bearer import (
    InvalidAccessTokenError,
    WristbandUnavailableError,
    bearer_token,
    validate_access_token,
)
from wristband_django.contrib.drf import (
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


def principal(request: HttpRequest) -> dict[str, Any]:
    """Everything a view sees about its caller: the session, the token, the typed user and
    ``request.user``."""
    entry = getattr(request, "wristband", None)
    token = getattr(request, "wristband_token", None)
    user = getattr(request, "wristband_user", None)
    django_user = getattr(request, "user", None)
    return {
        "session": None if entry is None else [entry.user_id, entry.tenant_id],
        "token": None if token is None else [token.user_id, token.tenant_id],
        "user": None if user is None else [user.user_id, user.tenant_id, user.authenticated_by],
        "roles": [] if user is None else list(user.role_names),
        "djangoUser": None
        if django_user is None or not django_user.is_authenticated
        else str(getattr(django_user, "user_id", None) or django_user.get_username()),
    }


def _answer(request: HttpRequest) -> JsonResponse:
    return JsonResponse(principal(request))


@wristband_required(strategies=["session", "bearer"])
def decorated_either(request: HttpRequest) -> JsonResponse:
    return _answer(request)


@wristband_required(strategies=["bearer", "session"], roles=["app:admin"])
def decorated_admins_token_first(request: HttpRequest) -> JsonResponse:
    return _answer(request)


@wristband_required(strategies=["session", "bearer"], roles=["app:admin"])
def decorated_admins_session_first(request: HttpRequest) -> JsonResponse:
    return _answer(request)


@wristband_required(strategies=["bearer"])
def decorated_bearer(request: HttpRequest) -> JsonResponse:
    return _answer(request)


@wristband_required
def decorated_session(request: HttpRequest) -> JsonResponse:
    return _answer(request)


@wristband_required(strategies=["bearer", "session"])
async def async_decorated_either(request: HttpRequest) -> JsonResponse:
    return _answer(request)


class MixinEither(WristbandRequiredMixin, View):
    strategies = ("bearer", "session")

    def get(self, request: HttpRequest) -> JsonResponse:
        return _answer(request)

    def post(self, request: HttpRequest) -> JsonResponse:
        return _answer(request)


class MixinAdmins(MixinEither):
    required_roles = ("app:admin",)


def open_page(request: HttpRequest) -> JsonResponse:
    """Not protected: what the middleware alone gives a view."""
    return _answer(request)


def validating(request: HttpRequest) -> JsonResponse:
    """A view written like docs/apis.md's example of ``validate_access_token``."""
    token = bearer_token(request)
    if token is None:
        return JsonResponse({"error": "unauthorized"}, status=401)
    try:
        claims = validate_access_token(token, request)
    except InvalidAccessTokenError:
        return JsonResponse({"error": "invalid_token"}, status=401)
    except WristbandUnavailableError:
        return JsonResponse({"error": "wristband_unavailable"}, status=503)
    return JsonResponse({"token": [claims.user_id, claims.tenant_id]})


class DrfEither(APIView):
    authentication_classes = [WristbandBearerAuthentication, WristbandSessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({**principal(request._request), "drfUser": str(request.user.pk)})


api = NinjaAPI(urls_namespace="tenant-hosts")
add_exception_handlers(api)


@api.get("/either", auth=[WristbandBearerAuth(), WristbandSessionAuth()])
def ninja_either(request: HttpRequest) -> dict[str, Any]:
    return {**principal(request), "ninjaUser": request.auth.user_id}  # type: ignore[attr-defined]


urlpatterns = [
    path("auth/", include("wristband_django.urls")),
    path("api/protected/", open_page),  # under protected_paths in the tests
    path("decorated/", decorated_either),
    path("decorated-admins-token-first/", decorated_admins_token_first),
    path("decorated-admins-session-first/", decorated_admins_session_first),
    path("decorated-bearer/", decorated_bearer),
    path("decorated-session/", decorated_session),
    path("async-decorated/", async_decorated_either),
    path("mixin/", MixinEither.as_view()),
    path("mixin-admins/", MixinAdmins.as_view()),
    path("open/", open_page),
    path("validating/", validating),
    path("drf/", DrfEither.as_view()),
    path("ninja/", api.urls),
]
