"""One place that answers "what is this request's Wristband session?", once per request."""

from __future__ import annotations

import logging

from django.http import HttpRequest

from wristband_django.conf import get_config
from wristband_django.flows.django_login import hide_django_user
from wristband_django.flows.refresh import fresh_session
from wristband_django.flows.tenant_hosts import session_fits_host
from wristband_django.types import WristbandSession

logger = logging.getLogger(__name__)

_RESOLVED = "_wristband_resolved_session"


def resolve_wristband_session(request: HttpRequest) -> WristbandSession | None:
    """Return the request's Wristband session with a fresh access token, or None.

    Set ``request.wristband`` to the same value.

    The middleware calls it before the view; the decorator, mixin and DRF classes call it
    too, so they work with or without the middleware and never refresh twice. A session of
    another tenant than the one the request's host names (``flows.tenant_hosts``) is not
    this request's: None, and a Django user it logged in is hidden for this request; the
    session itself is kept, valid on its own tenant's host.
    Raises ``StoreUnavailableError`` when the session store is down, and
    ``WristbandUnavailableError`` when Wristband is and
    ``keep_session_when_wristband_unavailable`` keeps the session (asked again in the same
    request, the session's refresh back-off answers at once, without calling Wristband).
    """
    if _RESOLVED in request.__dict__:
        resolved: WristbandSession | None = request.__dict__[_RESOLVED]
        return resolved
    config = get_config()
    entry = fresh_session(request, config)
    if entry is not None and not session_fits_host(request, config, entry):
        logger.info("A session of another tenant was not used on this tenant's host")
        hide_django_user(request)
        entry = None
    request.wristband = entry  # type: ignore[attr-defined]
    request.__dict__[_RESOLVED] = entry
    return entry
