"""Views the tests protect in every supported way, sync and async."""

from __future__ import annotations

import os
import threading

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import View
from django.views.decorators.csrf import ensure_csrf_cookie

from wristband_django.decorators import wristband_required
from wristband_django.mixins import WristbandRequiredMixin
from wristband_django.store import session_entry


def whoami_body(request: HttpRequest) -> dict[str, object]:
    entry = getattr(request, "wristband", None)
    if entry is None:
        return {"userId": None}
    return {"userId": entry.user_id, "accessToken": entry.access_token, "pid": os.getpid()}


def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse(whoami_body(request))


async def async_whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse(whoami_body(request))


@wristband_required
def decorated(request: HttpRequest) -> JsonResponse:
    return JsonResponse(whoami_body(request))


@wristband_required(redirect_to_login=True)
def decorated_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page")


@wristband_required
async def async_decorated(request: HttpRequest) -> JsonResponse:
    return JsonResponse(whoami_body(request))


class MixinView(WristbandRequiredMixin, View):
    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(whoami_body(request))


class AsyncMixinView(WristbandRequiredMixin, View):
    redirect_to_login = True

    async def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(whoami_body(request))


def django_user(request: HttpRequest) -> JsonResponse:
    """Behind login_required (wrapped in urls.py, so importing this module needs no auth)."""
    user = request.user  # type: ignore[attr-defined]
    return JsonResponse({"username": user.get_username(), "email": user.email})


@ensure_csrf_cookie
def page_with_a_form(request: HttpRequest) -> HttpResponse:
    """Stands for any page of the site that renders {% csrf_token %}."""
    return HttpResponse("ok")


class SlowWriter:
    """A view that reads the session, waits to be released, then writes to it."""

    def __init__(self) -> None:
        self.loaded = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: HttpRequest) -> JsonResponse:
        entry = session_entry.load(request.session)
        assert entry is not None
        self.loaded.set()
        assert self.release.wait(10)
        request.session["cart"] = ["book"]
        return JsonResponse({"refreshTokenSeen": entry.refresh_token})


slow_writer = SlowWriter()
