"""``WristbandRequiredMixin``: protect a class-based view (sync or async)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseBase

from wristband_django.flows.authentication import SESSION, Strategy, checked_strategies
from wristband_django.flows.login import check_max_age
from wristband_django.types import WristbandUser
from wristband_django.web.guards import (
    checked_scopes,
    denial,
    insufficient_scope_answer,
    step_up_answer,
)
from wristband_django.web.responses import (
    RETURN_URL_PARAMETER,
    forbidden,
    login_url,
    redirect_to_login,
    unauthorized,
)

__all__ = [
    "WristbandRequiredMixin",
]


class WristbandRequiredMixin:
    """Put it first in the bases. ``redirect_to_login = True`` for pages, else 401 JSON.

    ``strategies`` (``("session",)``, ``("bearer",)`` or both, tried in order),
    ``required_roles`` (any of them, else 403), ``required_scopes`` (all of them, else 403)
    and ``max_age`` (a login at most that many seconds old, else step-up) work as
    ``strategies``, ``roles``, ``scopes`` and ``max_age`` in ``@wristband_required``.
    The hooks follow Django's ``AccessMixin``: ``login_url`` / ``get_login_url()``,
    ``redirect_field_name`` / ``get_redirect_field_name()``, ``handle_no_permission()``
    (the answer when there are no credentials), ``handle_missing_role()``,
    ``handle_missing_scope()`` and ``handle_step_up()`` (the answer to a login older than
    ``max_age``).
    ``request.wristband``, ``request.wristband_token`` and ``request.wristband_user`` are set.
    CSRF is checked per caller, as by ``@wristband_required``.
    """

    request: HttpRequest
    redirect_to_login = False
    #: The Login endpoint (a URL, path or URL pattern name); ``None``: the ``login_url``
    #: setting (or auto-configured one), see ``wristband_django.web.responses.login_url``.
    login_url: str | None = None
    #: The Login endpoint's parameter for where to come back to.
    redirect_field_name: str = RETURN_URL_PARAMETER
    #: How the caller may authenticate, tried in order.
    strategies: Sequence[Strategy] = (SESSION,)
    #: Role names; the caller needs at least one (empty: any authenticated caller).
    required_roles: Sequence[str] = ()
    #: Scope names; the caller's credential needs every one (empty: no scope is needed).
    required_scopes: Sequence[str] = ()
    #: Seconds: the caller must have entered credentials at most this long ago (``None``:
    #: any login will do).
    max_age: int | None = None

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        """Return the view, exempt from ``CsrfViewMiddleware``.

        ``dispatch`` checks CSRF per caller instead: Django's check applies unless a bearer
        token alone authenticated the request."""
        checked_scopes(initkwargs.get("required_scopes", cls.required_scopes))  # fail early
        view = super().as_view(**initkwargs)  # type: ignore[misc]
        view.csrf_exempt = True
        return view

    def get_login_url(self) -> str:
        """Return the absolute URL of the Login endpoint for this request."""
        return login_url(self.request, self.login_url)

    def get_redirect_field_name(self) -> str:
        return self.redirect_field_name

    def handle_no_permission(self) -> HttpResponseBase:
        """Return the answer to a request without credentials.

        With ``redirect_to_login`` and the session strategy, that is a redirect to the Login
        endpoint that comes back here; otherwise a 401 ``{"error": "unauthorized",
        "loginUrl": ...}``. Override this method to answer otherwise; for async views it runs
        in a thread."""
        url = self.get_login_url()
        if self.redirect_to_login and SESSION in self.strategies:
            return redirect_to_login(self.request, url, self.get_redirect_field_name())
        return unauthorized(self.request, url, bearer_challenge="bearer" in self.strategies)

    def handle_missing_role(self, user: WristbandUser) -> HttpResponseBase:
        """Return the answer to a user without any of ``required_roles``: a JSON 403."""
        return forbidden()

    def handle_missing_scope(self, user: WristbandUser) -> HttpResponseBase:
        """Return the answer to a caller without every one of ``required_scopes``: a 403
        naming them, for a bearer caller with RFC 6750's ``WWW-Authenticate: Bearer
        error="insufficient_scope", scope="..."``."""
        return insufficient_scope_answer(self.request, user, checked_scopes(self.required_scopes))

    def handle_step_up(self, user: WristbandUser) -> HttpResponseBase:
        """Return the answer to a user whose last authentication is older than ``max_age``.

        With ``redirect_to_login``, that is a redirect through a login with ``max_age`` that
        comes back here; otherwise a 401 ``{"error": "login_required", "maxAge", "loginUrl"}``.
        A bearer caller gets a 401 ``insufficient_user_authentication`` (RFC 9470)."""
        return step_up_answer(
            self.request,
            user,
            check_max_age(self.max_age or 0),
            redirect_to_login=self.redirect_to_login,
            login_url=self.get_login_url(),
            redirect_field_name=self.get_redirect_field_name(),
        )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "view_is_async", False):
            return self._async_dispatch(request, *args, **kwargs)
        denied = self._deny(request)
        return denied or super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def _deny(self, request: HttpRequest) -> HttpResponseBase | None:
        return denial(
            request,
            checked_strategies(self.strategies),
            roles=self.required_roles,
            no_credentials=self.handle_no_permission,
            missing_role=self.handle_missing_role,
            scopes=checked_scopes(self.required_scopes),
            missing_scope=self.handle_missing_scope,
            max_age=check_max_age(self.max_age) if self.max_age is not None else None,
            stale_login=self.handle_step_up,
            check_csrf=True,
        )

    async def _async_dispatch(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        denied = await sync_to_async(self._deny, thread_sensitive=True)(request)
        if denied is not None:
            return denied
        return await super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return]
