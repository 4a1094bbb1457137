"""h. wristband_django's bearer auth on the view of ``bearer_views``: its decorator, its DRF
class and its django-ninja class, each beside the same view unprotected (``/plain/...``,
served by the handler without the auth middleware, which resolves in
``plain_urlpatterns``: a URLconf of the same shape, so that finding a view takes each
handler the same work). And the reference row: django-ninja's ``auth=`` with an auth that
checks nothing (``AnyBearer``), what ninja's own auth machinery costs under any auth."""

from types import SimpleNamespace

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI
from ninja.security import HttpBearer

from benchsite import urls_ours
from benchsite.bearer_views import PlainHello, caller_id, hello_caller, protected_hello
from wristband_django.contrib.drf import WristbandBearerAuthentication
from wristband_django.contrib.ninja import WristbandBearerAuth, add_exception_handlers
from wristband_django.decorators import wristband_required


class AnyBearer(HttpBearer):
    """Any ``Authorization`` header is the benchmark's user; none is 401. No check at all."""

    caller = SimpleNamespace(user_id="usr_acme_admin")  # as bench.scenarios.USER_ID

    def __call__(self, request: HttpRequest) -> SimpleNamespace | None:
        return self.caller if request.META.get("HTTP_AUTHORIZATION") else None

    def authenticate(self, request: HttpRequest, token: str) -> SimpleNamespace | None:
        return self(request)  # HttpBearer's abstract method; ninja calls the object itself


plain_api = NinjaAPI(urls_namespace="plain_ninja")
bearer_api = NinjaAPI(urls_namespace="bearer_ninja", auth=WristbandBearerAuth())
add_exception_handlers(bearer_api)
plain_floor_api = NinjaAPI(urls_namespace="plain_floor_ninja")  # the same as plain_api
floor_api = NinjaAPI(urls_namespace="floor_ninja", auth=AnyBearer())


def ninja_hello(request):  # type: ignore[no-untyped-def]
    return {"hello": caller_id(request)}


for api in (plain_api, bearer_api, plain_floor_api, floor_api):  # the same view in each
    api.get("/hello")(ninja_hello)


urlpatterns = [
    *urls_ours.urlpatterns,
    path("bearer/django/", wristband_required(strategies=("bearer",))(hello_caller)),
    path("bearer/drf/", protected_hello(WristbandBearerAuthentication).as_view()),
    path("bearer/ninja/", bearer_api.urls),
    path("bearer/floor/", floor_api.urls),
]
plain_urlpatterns = [
    *urls_ours.urlpatterns,
    path("plain/django/", hello_caller),
    path("plain/drf/", PlainHello.as_view()),
    path("plain/ninja/", plain_api.urls),
    path("plain/floor/", plain_floor_api.urls),
]
