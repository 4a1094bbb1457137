"""wristband-django-auth wired up the way its documentation shows for 1.x.

One ``WristbandAuth`` instance, Login and Callback views calling ``login()`` and
``callback()`` + ``session_from_callback()``, and a session decorator made by
``create_auth_decorator`` that answers 401 JSON (the documented choice for API views).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from wristband.django_auth import (  # type: ignore[import-not-found,unused-ignore]
    AuthConfig,
    AuthStrategy,
    RedirectRequiredCallbackResult,
    UnauthenticatedBehavior,
    WristbandAuth,
    session_from_callback,
)

from benchsite.views import hello

wristband_auth = WristbandAuth(AuthConfig(**settings.WRISTBAND_AUTH))
require_session = wristband_auth.create_auth_decorator(
    strategies=[AuthStrategy.SESSION], on_unauthenticated=UnauthenticatedBehavior.JSON
)


@require_GET
def login_endpoint(request: HttpRequest) -> HttpResponse:
    return wristband_auth.login(request)  # type: ignore[no-any-return]


@require_GET
def callback_endpoint(request: HttpRequest) -> HttpResponse:
    result = wristband_auth.callback(request)
    if isinstance(result, RedirectRequiredCallbackResult):
        return wristband_auth.create_callback_response(  # type: ignore[no-any-return]
            request, result.redirect_url
        )
    session_from_callback(request, result.callback_data)
    return wristband_auth.create_callback_response(  # type: ignore[no-any-return]
        request, result.callback_data.return_url or "/"
    )


protected_hello = require_session(hello)
