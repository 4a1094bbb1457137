"""``@wristband_required``: protect one view (sync or async) with a session, a bearer token,
or either, and optionally a role, scopes and a recent login (``max_age``)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from functools import wraps
from typing import Any, TypeVar, overload

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase

from wristband_django.flows.authentication import SESSION, Strategy, checked_strategies
from wristband_django.flows.login import check_max_age
from wristband_django.web.guards import (
    checked_scopes,
    denial,
    no_credentials_answer,
    step_up_answer,
)

__all__ = [
    "wristband_required",
]

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


@overload
def wristband_required(view: ViewFunc) -> ViewFunc: ...
@overload
def wristband_required(
    *,
    redirect_to_login: bool = False,
    login_url: str | None = None,
    strategies: Iterable[Strategy] = (SESSION,),
    roles: Collection[str] = (),
    scopes: Collection[str] = (),
    max_age: int | None = None,
) -> Callable[[ViewFunc], ViewFunc]: ...
def wristband_required(
    view: ViewFunc | None = None,
    *,
    redirect_to_login: bool = False,
    login_url: str | None = None,
    strategies: Iterable[Strategy] = (SESSION,),
    roles: Collection[str] = (),
    scopes: Collection[str] = (),
    max_age: int | None = None,
) -> ViewFunc | Callable[[ViewFunc], ViewFunc]:
    """Require a Wristband login: 401 JSON (APIs) or, with ``redirect_to_login=True``,
    a redirect to the Login endpoint that comes back here (pages).

    ``strategies``: how the caller may authenticate, tried in order: ``("session",)`` (the
    default), ``("bearer",)`` (``Authorization: Bearer <access token>``), or both. A bad
    bearer token is 401 ``invalid_token``; none where one would do, 401 with a ``Bearer``
    challenge. ``roles``: the caller needs at least one of these role names, else 403.
    ``scopes``: the caller's credential needs every one of these scopes (a bearer token's
    ``scope`` claim, or those Wristband granted the session), else 403, for a bearer caller
    with RFC 6750's ``WWW-Authenticate: Bearer error="insufficient_scope", scope="..."``.
    ``login_url`` (a URL, path or URL pattern name) is the Login endpoint to send users to;
    by default the ``login_url`` setting (or auto-configured one).
    ``max_age`` (seconds): the caller must have entered credentials at Wristband at most
    this long ago (step-up): else a page (``redirect_to_login``) goes through a login with
    ``max_age`` and back, an API caller gets 401 ``login_required`` with that login URL, a
    bearer caller 401 ``insufficient_user_authentication`` (RFC 9470).

    CSRF is checked per caller: Django's check for a session (and for any request that
    carries a session cookie), none for a request authenticated by a bearer token alone, so
    a view that accepts both needs no ``@csrf_exempt`` (which would drop the check for
    session callers too).
    """
    chosen = checked_strategies(strategies)
    if isinstance(roles, str):
        raise ValueError("roles must be a list of role names, not one string")
    required_roles = tuple(roles)
    required_scopes = checked_scopes(scopes)
    required_age = check_max_age(max_age) if max_age is not None else None

    def deny(request: HttpRequest) -> HttpResponseBase | None:
        return denial(
            request,
            chosen,
            roles=required_roles,
            scopes=required_scopes,
            no_credentials=lambda: no_credentials_answer(
                request, chosen, redirect_to_login=redirect_to_login, login_url=login_url
            ),
            max_age=required_age,
            check_csrf=True,
            stale_login=None
            if required_age is None
            else lambda user: step_up_answer(
                request,
                user,
                required_age,
                redirect_to_login=redirect_to_login,
                login_url=login_url,
            ),
        )

    def decorator(view_func: ViewFunc) -> ViewFunc:
        if iscoroutinefunction(view_func):

            @wraps(view_func)
            async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                denied = await sync_to_async(deny, thread_sensitive=True)(request)
                return denied or await view_func(request, *args, **kwargs)

            async_view.csrf_exempt = True  # type: ignore[attr-defined]  # checked in deny()
            return async_view  # type: ignore[return-value]

        @wraps(view_func)
        def sync_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return deny(request) or view_func(request, *args, **kwargs)

        sync_view.csrf_exempt = True  # type: ignore[attr-defined]  # checked in deny()
        return sync_view  # type: ignore[return-value]

    return decorator(view) if view is not None else decorator
