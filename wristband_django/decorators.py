"""``@wristband_required``: protect one view (sync or async)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, overload

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase

from wristband_django import responses
from wristband_django.flows.current_session import resolve_wristband_session
from wristband_django.store.outages import StoreUnavailableError

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


def session_or_denial(
    request: HttpRequest, no_session: Callable[[], HttpResponseBase]
) -> HttpResponseBase | None:
    """``None`` when the request has a Wristband session, else the answer to send: 503 when
    the session store is down, else what ``no_session()`` answers."""
    try:
        entry = resolve_wristband_session(request)
    except StoreUnavailableError:
        return responses.store_unavailable()
    return None if entry is not None else no_session()


def deny_response(
    request: HttpRequest,
    *,
    redirect_to_login: bool,
    login_url: str | None = None,
    redirect_field_name: str = responses.RETURN_URL_PARAMETER,
) -> HttpResponseBase | None:
    """``None`` when the request has a Wristband session, else the answer to send: 503 when
    the session store is down, else 401 JSON or, with ``redirect_to_login``, a redirect to
    the Login endpoint (``login_url``, default: see ``responses.login_url``)."""

    def no_session() -> HttpResponseBase:
        if redirect_to_login:
            return responses.redirect_to_login(request, login_url, redirect_field_name)
        return responses.unauthorized(request, login_url)

    return session_or_denial(request, no_session)


@overload
def wristband_required(view: ViewFunc) -> ViewFunc: ...
@overload
def wristband_required(
    *, redirect_to_login: bool = False, login_url: str | None = None
) -> Callable[[ViewFunc], ViewFunc]: ...
def wristband_required(
    view: ViewFunc | None = None,
    *,
    redirect_to_login: bool = False,
    login_url: str | None = None,
) -> ViewFunc | Callable[[ViewFunc], ViewFunc]:
    """Require a Wristband session: 401 JSON (APIs) or, with ``redirect_to_login=True``,
    a redirect to the Login endpoint that comes back here (pages).

    ``login_url`` (a URL, path or URL pattern name) is the Login endpoint to send users to;
    by default the ``login_url`` setting (or auto-configured one), which works whatever
    names the project mounts the views under.
    """

    def decorator(view_func: ViewFunc) -> ViewFunc:
        if iscoroutinefunction(view_func):

            @wraps(view_func)
            async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                denied = await sync_to_async(deny_response, thread_sensitive=True)(
                    request, redirect_to_login=redirect_to_login, login_url=login_url
                )
                return denied or await view_func(request, *args, **kwargs)

            return async_view  # type: ignore[return-value]

        @wraps(view_func)
        def sync_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            denied = deny_response(
                request, redirect_to_login=redirect_to_login, login_url=login_url
            )
            return denied or view_func(request, *args, **kwargs)

        return sync_view  # type: ignore[return-value]

    return decorator(view) if view is not None else decorator
