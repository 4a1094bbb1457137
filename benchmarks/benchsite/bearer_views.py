"""h. Bearer requests: one JSON view, served plain and behind each package's bearer auth.

The view answers the caller's user id (the token's ``sub``) as each package hands it to
views: ours as ``request.wristband_user`` (decorator) or ``request.auth`` (DRF: the
``AccessTokenClaims``; django-ninja: the ``WristbandUser``), theirs as ``request.auth``, a
``JWTAuthResult`` whose ``payload`` has the claims. Unprotected, it answers ``None``. The
same function serves every variant, so a ratio is the cost of the authentication alone.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def caller_id(request: Any) -> str | None:
    """The caller's user id, wherever the package that authenticated it put it."""
    user = getattr(request, "wristband_user", None)
    if user is not None:  # ours, Django view
        return str(user.user_id)
    auth = getattr(request, "auth", None)
    if auth is None:
        return None
    if hasattr(auth, "user_id"):  # ours: AccessTokenClaims (DRF) or WristbandUser (ninja)
        return str(auth.user_id)
    payload = getattr(auth, "payload", None)  # theirs: JWTAuthResult
    return None if payload is None else payload.get("sub")


def hello_caller(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"hello": caller_id(request)})


class PlainHello(APIView):
    """DRF without authentication: the baseline of the DRF rows."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"hello": caller_id(request)})


def protected_hello(authentication: type) -> type[APIView]:
    """``PlainHello`` behind ``authentication`` and ``IsAuthenticated``."""
    return type(
        "ProtectedHello",
        (PlainHello,),
        {"authentication_classes": [authentication], "permission_classes": [IsAuthenticated]},
    )
