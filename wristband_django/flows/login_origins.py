"""Where a login starts and where Wristband sends it back: the origins the browser sees.

Browsers keep cookies per host: a login started on ``http://127.0.0.1:8000`` sets its
login-state cookie there, and a callback on ``http://localhost:8000`` (the ``redirect_uri``)
never receives it. In development (``DEBUG``) the Login endpoint compares the two origins
(scheme, host and port) before it sends the browser away, and warns when they differ.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class OriginMismatch:
    """A login started on ``here`` whose callback is on ``there`` (both origins as
    ``scheme://host[:port]``); ``elsewhere`` is the same Login URL (path and query) on
    ``there``."""

    here: str
    there: str
    elsewhere: str


def origin_of(scheme: str, netloc: str) -> str | None:
    """Return ``scheme://host[:port]`` in the form browsers compare, else ``None``.

    The scheme and host are lower-cased and the scheme's default port is left out. ``None``
    for a scheme other than http(s) or a host and port that do not parse."""
    scheme = scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        hostname, port = parts.hostname, parts.port
    except ValueError:  # a port out of range, an unclosed IPv6 bracket
        return None
    if not hostname:
        return None
    host = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def request_origin(request: HttpRequest) -> str | None:
    """Return the origin the browser sent ``request`` to, as Django sees it
    (``get_host()``, ``is_secure()``), or ``None`` for a host Django refuses."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return origin_of("https" if request.is_secure() else "http", host)


def origin_mismatch(request: HttpRequest, callback_url: str) -> OriginMismatch | None:
    """Return how this login's origin differs from its callback's, else ``None``.

    ``callback_url`` is the ``redirect_uri`` the authorize request carries (its
    ``{tenant_name}`` filled in). ``None`` too when either origin cannot be told."""
    here = request_origin(request)
    try:
        callback = urlsplit(callback_url)
    except ValueError:
        return None
    there = origin_of(callback.scheme, callback.netloc)
    if here is None or there is None or here == there:
        return None
    return OriginMismatch(here, there, there + request.get_full_path())


def warn(mismatch: OriginMismatch) -> None:
    """Log, at WARNING, a login started on another origin than its callback's."""
    logger.warning(
        "This login started on %s, but Wristband sends it back to %s (the redirect_uri): the "
        "login-state cookie set on %s would not come back to the callback on %s, and the "
        "login would restart there. Open the site on %s (DEBUG only: this check is off in "
        "production).",
        mismatch.here,
        mismatch.there,
        mismatch.here,
        mismatch.there,
        mismatch.there,
    )
