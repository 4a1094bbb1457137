"""h. wristband_django's bearer auth on the view of ``bearer_views``: its decorator, its DRF
class and its django-ninja class, each beside the same view unprotected (``/plain/...``,
served by the handler without the auth middleware, which resolves in
``plain_urlpatterns``: a URLconf of the same shape, so that finding a view takes each
handler the same work)."""

from django.urls import path
from ninja import NinjaAPI

from benchsite import urls_ours
from benchsite.bearer_views import PlainHello, caller_id, hello_caller, protected_hello
from wristband_django.contrib.drf import WristbandBearerAuthentication
from wristband_django.contrib.ninja import WristbandBearerAuth, add_exception_handlers
from wristband_django.decorators import wristband_required

plain_api = NinjaAPI(urls_namespace="plain_ninja")
bearer_api = NinjaAPI(urls_namespace="bearer_ninja", auth=WristbandBearerAuth())
add_exception_handlers(bearer_api)


@plain_api.get("/hello")
def plain_ninja_hello(request):  # type: ignore[no-untyped-def]
    return {"hello": caller_id(request)}


@bearer_api.get("/hello")
def bearer_ninja_hello(request):  # type: ignore[no-untyped-def]
    return {"hello": caller_id(request)}


urlpatterns = [
    *urls_ours.urlpatterns,
    path("bearer/django/", wristband_required(strategies=("bearer",))(hello_caller)),
    path("bearer/drf/", protected_hello(WristbandBearerAuthentication).as_view()),
    path("bearer/ninja/", bearer_api.urls),
]
plain_urlpatterns = [
    *urls_ours.urlpatterns,
    path("plain/django/", hello_caller),
    path("plain/drf/", PlainHello.as_view()),
    path("plain/ninja/", plain_api.urls),
]
