"""Django REST framework views for tests/contrib/test_drf.py and
tests/security/test_amplification.py: one per way of authenticating (session, bearer access
token, both)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from wristband_django.contrib.drf import (
    HasWristbandRole,
    WristbandBearerAuthentication,
    WristbandSessionAuthentication,
)


def describe(request: Request) -> dict[str, Any]:
    user = request.user
    return {
        "userType": user.__class__.__name__,  # through SimpleLazyObject
        "pk": str(user.pk),
        "tenantId": getattr(user, "tenant_id", None),
        "email": getattr(user, "email", None),
        "roles": list(getattr(user, "role_names", ())),
        "authType": type(request.auth).__name__,
    }


class SessionOnly(APIView):
    authentication_classes = [WristbandSessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(describe(request))

    def post(self, request: Request) -> Response:
        return Response({"posted": True})


class BearerOnly(APIView):
    authentication_classes = [WristbandBearerAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({**describe(request), "sub": request.auth.user_id})

    def post(self, request: Request) -> Response:
        return Response({"posted": True})


class Both(SessionOnly):
    authentication_classes = [WristbandBearerAuthentication, WristbandSessionAuthentication]


class Admins(Both):
    permission_classes = [HasWristbandRole.any_of("app:admin", "app:owner")]


class AdminsByAttribute(Both):
    permission_classes = [HasWristbandRole]
    wristband_roles = ["app:admin"]
