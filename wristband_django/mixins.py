"""``WristbandRequiredMixin``: protect a class-based view (sync or async)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseBase

from wristband_django.decorators import deny_response


class WristbandRequiredMixin:
    """Put it first in the bases. ``redirect_to_login = True`` for pages, else 401 JSON."""

    redirect_to_login = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "view_is_async", False):
            return self._async_dispatch(request, *args, **kwargs)
        denied = deny_response(request, redirect_to_login=self.redirect_to_login)
        return denied or super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    async def _async_dispatch(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        denied = await sync_to_async(deny_response, thread_sensitive=True)(
            request, redirect_to_login=self.redirect_to_login
        )
        if denied is not None:
            return denied
        return await super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return]
