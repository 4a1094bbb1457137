"""Views the tests protect in every supported way, sync and async."""

from __future__ import annotations

import os
import threading

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import View
from django.views.decorators.csrf import ensure_csrf_cookie

from wristband_django.decorators import wristband_required
from wristband_django.errors import WristbandError
from wristband_django.mixins import WristbandRequiredMixin
from wristband_django.store import session_entry
from wristband_django.views import CallbackView


def whoami_body(request: HttpRequest) -> dict[str, object]:
    entry = getattr(request, "wristband", None)
    if entry is None:
        return {"userId": None}
    return {"userId": entry.user_id, "accessToken": entry.access_token, "pid": os.getpid()}


def caller_body(request: HttpRequest) -> dict[str, object]:
    """Who the request authenticated as (either way), and the bearer token's typed claims."""
    user = getattr(request, "wristband_user", None)
    token = getattr(request, "wristband_token", None)
    return {
        "user": None
        if user is None
        else {
            "userId": user.user_id,
            "tenantId": user.tenant_id,
            "roles": list(user.role_names),
            "by": user.authenticated_by,
            "machine": user.is_machine,
            "email": user.email,
        },
        "token": None
        if token is None
        else {
            "userId": token.user_id,
            "tenantId": token.tenant_id,
            "clientId": token.client_id,
            "roles": list(token.role_names),
            "expiresAt": token.expires_at.isoformat(),
            "custom": dict(token.custom_claims),
        },
        "hasSession": getattr(request, "wristband", None) is not None,
    }


def caller(request: HttpRequest) -> JsonResponse:
    return JsonResponse(caller_body(request))


@wristband_required(strategies=["bearer"])
def bearer_only(request: HttpRequest) -> JsonResponse:
    return caller(request)


@wristband_required(strategies=["bearer"])
async def async_bearer_only(request: HttpRequest) -> JsonResponse:
    return caller(request)


@wristband_required(strategies=["session", "bearer"])
def session_then_bearer(request: HttpRequest) -> JsonResponse:
    return caller(request)


@wristband_required(strategies=["session", "bearer"], redirect_to_login=True)
def page_or_bearer(request: HttpRequest) -> JsonResponse:
    return caller(request)


@wristband_required(strategies=["session", "bearer"], roles=["app:admin", "app:owner"])
def admins(request: HttpRequest) -> JsonResponse:
    return caller(request)


@wristband_required(strategies=["session", "bearer"], roles=["app:admin", "app:owner"])
async def async_admins(request: HttpRequest) -> JsonResponse:
    return caller(request)


class AdminsMixinView(WristbandRequiredMixin, View):
    strategies = ("bearer", "session")
    required_roles = ("app:admin",)

    def get(self, request: HttpRequest) -> JsonResponse:
        return caller(request)


class AsyncAdminsMixinView(AdminsMixinView):
    async def get(self, request: HttpRequest) -> JsonResponse:  # type: ignore[override]
        return caller(request)


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


# --- step-up (max_age) and login failures -------------------------------------------------------

STEP_UP_SECONDS = 300


@wristband_required(redirect_to_login=True, max_age=STEP_UP_SECONDS)
def step_up_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sensitive page")


@wristband_required(max_age=STEP_UP_SECONDS)
def step_up_api(request: HttpRequest) -> JsonResponse:
    return JsonResponse(caller_body(request))


@wristband_required(max_age=STEP_UP_SECONDS)
async def async_step_up_api(request: HttpRequest) -> JsonResponse:
    return JsonResponse(caller_body(request))


@wristband_required(strategies=["session", "bearer"], max_age=STEP_UP_SECONDS)
def step_up_either(request: HttpRequest) -> JsonResponse:
    return JsonResponse(caller_body(request))


@wristband_required(roles=["app:admin"], max_age=STEP_UP_SECONDS)
def step_up_admins(request: HttpRequest) -> JsonResponse:
    return JsonResponse(caller_body(request))


class StepUpMixinPage(WristbandRequiredMixin, View):
    redirect_to_login = True
    max_age = STEP_UP_SECONDS

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("sensitive page")


class AsyncStepUpMixinApi(WristbandRequiredMixin, View):
    strategies = ("session", "bearer")
    max_age = STEP_UP_SECONDS

    async def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(caller_body(request))


class HookedCallbackView(CallbackView):
    """Answers every failed login itself, with the reason (a JSON 401)."""

    def login_failed(self, reason: str, error: WristbandError) -> HttpResponse | None:
        return JsonResponse({"reason": reason, "error": error.error}, status=401)
