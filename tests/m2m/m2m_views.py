"""A view that calls Wristband's M2M token provider, as an app's API client would."""

from __future__ import annotations

import os

from django.http import HttpRequest, JsonResponse

from wristband_django.m2m import MachineTokenProvider

PROVIDER = MachineTokenProvider(
    os.environ["WRISTBAND_TEST_M2M_CLIENT_ID"], os.environ["WRISTBAND_TEST_M2M_CLIENT_SECRET"]
)


def token(request: HttpRequest) -> JsonResponse:
    """The token (a test server only: never answer with a token in a real app)."""
    return JsonResponse({"token": PROVIDER.get_token(), "pid": os.getpid()})


def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"pid": os.getpid()})
