"""``WristbandRequiredMixin``: protect a class-based view (sync or async)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseBase

from wristband_django.decorators import session_or_denial
from wristband_django.responses import (
    RETURN_URL_PARAMETER,
    login_url,
    redirect_to_login,
    unauthorized,
)


class WristbandRequiredMixin:
    """Put it first in the bases. ``redirect_to_login = True`` for pages, else 401 JSON.

    The hooks follow Django's ``AccessMixin``: ``login_url`` / ``get_login_url()``,
    ``redirect_field_name`` / ``get_redirect_field_name()`` and ``handle_no_permission()``
    (the answer when there is no Wristband session). ``request.wristband`` is set.
    """

    request: HttpRequest
    redirect_to_login = False
    #: The Login endpoint (a URL, path or URL pattern name); ``None``: the ``login_url``
    #: setting (or auto-configured one), see ``wristband_django.responses.login_url``.
    login_url: str | None = None
    #: The Login endpoint's parameter for where to come back to.
    redirect_field_name: str = RETURN_URL_PARAMETER

    def get_login_url(self) -> str:
        """The absolute URL of the Login endpoint for this request."""
        return login_url(self.request, self.login_url)

    def get_redirect_field_name(self) -> str:
        return self.redirect_field_name

    def handle_no_permission(self) -> HttpResponseBase:
        """No Wristband session: a redirect to the Login endpoint that comes back here
        (``redirect_to_login``), else 401 ``{"error": "unauthorized", "loginUrl": ...}``.
        Runs in a thread for async views, like the session check."""
        url = self.get_login_url()
        if self.redirect_to_login:
            return redirect_to_login(self.request, url, self.get_redirect_field_name())
        return unauthorized(self.request, url)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "view_is_async", False):
            return self._async_dispatch(request, *args, **kwargs)
        denied = self._deny(request)
        return denied or super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def _deny(self, request: HttpRequest) -> HttpResponseBase | None:
        return session_or_denial(request, self.handle_no_permission)

    async def _async_dispatch(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        denied = await sync_to_async(self._deny, thread_sensitive=True)(request)
        if denied is not None:
            return denied
        return await super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return]
