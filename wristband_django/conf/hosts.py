"""Host names and URLs in settings: one rule for each, shared by parsing and the flows."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

TENANT_PLACEHOLDERS = ("{tenant_name}", "{tenant_domain}")
DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def is_absolute_http_url(value: str) -> bool:
    """Return whether ``value`` is an absolute ``http(s)://host/...`` URL.

    A ``{tenant_name}`` placeholder counts as a host label.
    """
    parts = urlsplit(fill_tenant_placeholder(value, "tenant"))
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def hostname_error(value: str, *, allow_port: bool) -> str | None:
    """Return why ``value`` is not a bare host name, or ``None`` when it is one."""
    bare = "must be a bare host name such as yourapp-yourco.us.wristband.dev (no scheme, no path)"
    if "/" in value:
        return bare
    host, sep, port = value.rpartition(":") if ":" in value else (value, "", "")
    if not _HOSTNAME.match(host.lower()):
        return bare
    if sep and not allow_port:
        return "must not contain a port"
    if sep and not (port.isdigit() and 0 < int(port) < 65536):
        return "has an invalid port"
    return None


def fill_tenant_placeholder(url: str, tenant_name: str) -> str:
    """Replace ``{tenant_name}`` (or the legacy ``{tenant_domain}``) in ``url``."""
    for placeholder in TENANT_PLACEHOLDERS:
        url = url.replace(placeholder, tenant_name)
    return url


def has_tenant_placeholder(url: str) -> bool:
    return any(placeholder in url for placeholder in TENANT_PLACEHOLDERS)
