"""Views that call the downstream API with the user's token, once per library and flow.

``?calls=N`` calls it N times in the one request (the later calls show which token the
request holds after a renewal). The answer lists each call's status; a request without a
Wristband session gets 401 ``session_ended``.
"""

from __future__ import annotations

import httpx
from django.conf import settings
from django.http import HttpRequest, JsonResponse

from wristband_django.contrib.outbound.httpx_auth import WristbandHttpxAuth
from wristband_django.contrib.outbound.requests_auth import WristbandRequestsAuth, api_session
from wristband_django.errors import SessionEndedError


def _calls(request: HttpRequest) -> int:
    return int(request.GET.get("calls", "1"))


def _answer(statuses: list[int]) -> JsonResponse:
    return JsonResponse({"statuses": statuses})


def _ended() -> JsonResponse:
    return JsonResponse({"error": "session_ended"}, status=401)


def with_requests(request: HttpRequest) -> JsonResponse:
    api = api_session(WristbandRequestsAuth.for_request(request))
    try:
        return _answer(
            [
                api.get(f"{settings.OUTBOUND_TEST_API}/v1/orders").status_code
                for _ in range(_calls(request))
            ]
        )
    except SessionEndedError:
        return _ended()


def with_httpx(request: HttpRequest) -> JsonResponse:
    with httpx.Client(auth=WristbandHttpxAuth.for_request(request)) as api:
        try:
            return _answer(
                [
                    api.get(f"{settings.OUTBOUND_TEST_API}/v1/orders").status_code
                    for _ in range(_calls(request))
                ]
            )
        except SessionEndedError:
            return _ended()


async def with_async_httpx(request: HttpRequest) -> JsonResponse:
    async with httpx.AsyncClient(auth=WristbandHttpxAuth.for_request(request)) as api:
        try:
            statuses = []
            for _ in range(_calls(request)):
                answer = await api.get(f"{settings.OUTBOUND_TEST_API}/v1/orders")
                statuses.append(answer.status_code)
            return _answer(statuses)
        except SessionEndedError:
            return _ended()
