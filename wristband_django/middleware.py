"""``WristbandAuthMiddleware``: fresh tokens before the view, 401 on protected paths.

Place it after ``SessionMiddleware``. For a request whose Wristband session has an
expired access token it refreshes first (once per session, see ``flows.refresh``); a
valid token costs no outbound call and no session write. Requests under
``protected_paths`` need credentials (``protected_paths_strategies``: the session, a
bearer token, or either) and get 401 JSON without; elsewhere it never blocks.
``request.wristband`` is the ``WristbandSession`` (or ``None``), ``request.wristband_user``
the caller and ``request.wristband_token`` a bearer token's claims (annotate views with
``wristband_django.types.WristbandRequest``). Works in sync and async stacks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from wristband_django.conf import get_config
from wristband_django.errors import StoreUnavailableError, WristbandUnavailableError
from wristband_django.flows import refresh, rolling
from wristband_django.flows.authentication import BEARER
from wristband_django.flows.current_session import resolve_wristband_session
from wristband_django.flows.session_cookie import session_cookie_name
from wristband_django.types import WristbandUser
from wristband_django.web.guards import denial
from wristband_django.web.responses import log_refusal, unauthorized

__all__ = [
    "WristbandAuthMiddleware",
]

logger = logging.getLogger(__name__)


@lru_cache(maxsize=32)
def _compile(
    patterns: tuple[str, ...],
) -> tuple[tuple[str, ...], re.Pattern[str] | None]:
    prefixes = tuple(p for p in patterns if not p.startswith("^"))
    regexes = [p for p in patterns if p.startswith("^")]
    return prefixes, re.compile("|".join(f"(?:{r})" for r in regexes)) if regexes else None


def is_protected(path: str, patterns: tuple[str, ...]) -> bool:
    prefixes, regex = _compile(patterns)
    return path.startswith(prefixes) or bool(regex and regex.match(path))


#: A request's Wristband attributes for "nobody" (a session found later fills them), set
#: with ``request.__dict__.update``: every request gets them, and that is no Python call.
_NOBODY: dict[str, None] = {"wristband": None, "wristband_user": None, "wristband_token": None}


class WristbandAuthMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        if not self.needs_nothing(request):
            early = self.before_view(request)
            if early is not None:
                return early
        response = self.get_response(request)
        if self.has_work_after_view(request):
            self.after_view(request, cast(HttpResponseBase, response))
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if not self.needs_nothing(request):  # a thread switch only when there is work
            early = await sync_to_async(self.before_view, thread_sensitive=True)(request)
            if early is not None:
                return early
        response = await self.get_response(request)  # type: ignore[misc]
        if self.has_work_after_view(request):  # a thread switch only when there is work
            await sync_to_async(self.after_view, thread_sensitive=True)(request, response)
        return response  # type: ignore[no-any-return]

    @staticmethod
    def has_work_after_view(request: HttpRequest) -> bool:
        """Tell whether ``after_view`` has work: a session to roll or about to be saved."""
        session = getattr(request, "session", None)
        if session is None or session.session_key is None:
            return False
        rolls = get_config().session_rolling_interval is not None
        return rolls or session.modified or settings.SESSION_SAVE_EVERY_REQUEST

    @staticmethod
    def needs_nothing(request: HttpRequest) -> bool:
        """Tell whether the request needs nothing before the view: a path ``protected_paths``
        does not name, without a session cookie. It is then anonymous here (its attributes
        are set), with no store access: no I/O, so an ASGI request stays on its event loop."""
        if is_protected(request.path_info, get_config().protected_paths):
            return False
        if session_cookie_name() in request.COOKIES:
            return False
        request.__dict__.update(_NOBODY)
        return True

    def before_view(self, request: HttpRequest) -> HttpResponseBase | None:
        """Refresh if needed; on protected paths, answer 401/403/503 (see ``guards``)."""
        config = get_config()
        if is_protected(request.path_info, config.protected_paths):
            strategies = config.protected_paths_strategies
            return denial(
                request,
                strategies,
                no_credentials=lambda: unauthorized(request, bearer_challenge=BEARER in strategies),
            )
        request.__dict__.update(_NOBODY)
        if session_cookie_name() not in request.COOKIES:
            return None  # no session: no store access at all
        try:
            entry = resolve_wristband_session(request)
        except (StoreUnavailableError, WristbandUnavailableError) as exc:
            # Anonymous for this page, the session kept; a decorator or mixin answers 503.
            log_refusal(exc)
            request.wristband = None  # type: ignore[attr-defined]
            return None
        if entry is not None:
            request.wristband_user = WristbandUser.from_session(entry)  # type: ignore[attr-defined]
        return None

    def after_view(self, request: HttpRequest, response: HttpResponseBase) -> None:
        """Run the after-view steps: renew the session's expiry, then put in the newest tokens.

        This runs after the view, before ``SessionMiddleware`` saves the session; the expiry is
        renewed when ``session_rolling_interval`` says so."""
        rolling.roll_session(request, response)
        self.before_session_save(request)

    def before_session_save(self, request: HttpRequest) -> None:
        """Put the newest tokens in, so this request never saves older tokens over them."""
        refresh.put_newest_tokens(request)
