"""A project that mounts subclasses of the views under its own names, without the
``wristband`` namespace (no ``include("wristband_django.urls")``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views import View

from wristband_django.decorators import wristband_required
from wristband_django.mixins import WristbandRequiredMixin
from wristband_django.types import WristbandRequest
from wristband_django.views import CallbackView, LoginView, LogoutView, SessionView


class SignIn(LoginView):
    pass


class SignInDone(CallbackView):
    pass


class SignOut(LogoutView):
    pass


class Me(SessionView):
    pass


@wristband_required
def api(request: WristbandRequest) -> JsonResponse:
    entry = request.wristband
    return JsonResponse({"userId": entry.user_id if entry is not None else None})


@wristband_required(redirect_to_login=True)
def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page")


@wristband_required(redirect_to_login=True, login_url="sign-in")
def page_with_login_url(request: HttpRequest) -> HttpResponse:
    return HttpResponse("page")


class MixinApi(WristbandRequiredMixin, View):
    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse({"ok": True})


class MixinPage(WristbandRequiredMixin, View):
    redirect_to_login = True
    login_url = "sign-in"  # a URL pattern name, as Django's AccessMixin takes

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("page")


class AsyncMixinPage(WristbandRequiredMixin, View):
    redirect_to_login = True

    async def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("page")


urlpatterns = [
    path("sign-in/", SignIn.as_view(), name="sign-in"),
    path("sign-in/done/", SignInDone.as_view(), name="sign-in-done"),
    path("sign-out/", SignOut.as_view(), name="sign-out"),
    path("me/", Me.as_view(), name="me"),
    path("api/", api),
    path("page/", page),
    path("page-with-login-url/", page_with_login_url),
    path("mixin-api/", MixinApi.as_view()),
    path("mixin-page/", MixinPage.as_view()),
    path("async-mixin-page/", AsyncMixinPage.as_view()),
]
