"""One place that answers "what is this request's Wristband session?", once per request."""

from __future__ import annotations

from django.http import HttpRequest

from wristband_django.conf import get_config
from wristband_django.flows.refresh import fresh_session
from wristband_django.store.session_entry import WristbandSession

_RESOLVED = "_wristband_resolved"


def resolve_wristband_session(request: HttpRequest) -> WristbandSession | None:
    """The session with a fresh access token, or None; also sets ``request.wristband``.

    The middleware calls it before the view; the decorator, mixin and DRF classes call it
    too, so they work with or without the middleware and never refresh twice.
    Raises ``StoreUnavailableError`` when the session store is down, and
    ``WristbandUnavailableError`` when Wristband is and
    ``keep_session_when_wristband_unavailable`` keeps the session (asked again in the same
    request, the session's refresh back-off answers at once, without calling Wristband).
    """
    if getattr(request, _RESOLVED, False):
        return request.wristband  # type: ignore[attr-defined,no-any-return]
    entry = fresh_session(request, get_config())
    request.wristband = entry  # type: ignore[attr-defined]
    setattr(request, _RESOLVED, True)
    return entry
