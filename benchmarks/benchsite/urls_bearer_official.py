"""h. wristband-django-auth's JWT auth on the view of ``bearer_views``, as its README shows
for 1.x: ``create_auth_decorator([AuthStrategy.JWT], UnauthenticatedBehavior.JSON)`` and
``create_drf_jwt_auth()``, each beside the same view unprotected. It has no django-ninja
integration. The unprotected views are in ``plain_urlpatterns``, as in
``urls_bearer_ours``."""

from django.urls import path
from wristband.django_auth import (  # type: ignore[import-not-found,unused-ignore]
    AuthStrategy,
    UnauthenticatedBehavior,
)

from benchsite import urls_official
from benchsite.bearer_views import PlainHello, hello_caller, protected_hello
from benchsite.official import wristband_auth

require_jwt = wristband_auth.create_auth_decorator(
    strategies=[AuthStrategy.JWT], on_unauthenticated=UnauthenticatedBehavior.JSON
)

urlpatterns = [
    *urls_official.urlpatterns,
    path("bearer/django/", require_jwt(hello_caller)),
    path("bearer/drf/", protected_hello(wristband_auth.create_drf_jwt_auth()).as_view()),
]
plain_urlpatterns = [
    *urls_official.urlpatterns,
    path("plain/django/", hello_caller),
    path("plain/drf/", PlainHello.as_view()),
]
