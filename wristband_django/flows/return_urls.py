"""Where a browser may be sent after login: only this site and the configured hosts."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from wristband_django.conf import AuthConfig

#: Django's redirect field (``django.contrib.auth.REDIRECT_FIELD_NAME``), without importing
#: ``django.contrib.auth``: ``login_required`` and ``LoginRequiredMiddleware`` put the page the
#: user asked for in it.
REDIRECT_FIELD_NAME = "next"


def requested_return_url(
    request: HttpRequest, redirect_field_name: str = REDIRECT_FIELD_NAME
) -> str | None:
    """Return the return URL a Login request asks for, not yet checked, or ``None``.

    That is the ``return_url`` parameter, else Django's redirect field (``next``), else
    ``state``, which Wristband's tenant discovery hands back. ``return_url`` wins over
    ``next``: it is this app's own parameter, given on purpose, while ``next`` is added by
    whatever redirected to the login (Django appends it even to a ``LOGIN_URL`` that already
    names a ``return_url``). An empty value counts as absent.
    """
    for name in ("return_url", redirect_field_name, "state"):
        value = request.GET.get(name)
        if value:
            return value
    return None


def safe_return_url(request: HttpRequest, config: AuthConfig, url: str | None) -> str | None:
    """Return ``url`` if it is short enough and stays on the request host or an allowed host.

    Only an absolute path (``/reports?y=1``) or an absolute http(s) URL qualifies: a
    relative path would resolve against the callback URL, which no one means.
    """
    if not url or len(url) > config.return_url_max_length:
        return None
    if any(ch in url for ch in "\\\r\n\t\x00") or url != url.strip():
        return None
    allowed = {request.get_host(), *config.allowed_return_url_hosts}
    try:
        if not url.startswith("/") and urlsplit(url).scheme not in ("http", "https"):
            return None
        if not url_has_allowed_host_and_scheme(
            url, allowed_hosts=allowed, require_https=request.is_secure()
        ):
            return None
    except ValueError:  # a host that NFKC-normalises into URL syntax (full-width "/", "@")
        return None
    return url
