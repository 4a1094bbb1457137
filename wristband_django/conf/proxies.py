"""What a proxy URL must be, for the ``proxy_url`` setting and the environment's proxy
variables alike: a scheme, a host and a port, credentials percent-encoded.

No message here repeats the URL: it may carry a password.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from urllib3.util import parse_url

from wristband_django.conf.fields import fail, typename

#: The schemes of the ``proxy_url`` setting.
SETTING_SCHEMES = ("http", "https")
#: The schemes requests accepts in the environment's variables (SOCKS needs PySocks).
ENVIRONMENT_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")
#: A host name as resolvers take it (underscores too, as container networks name hosts).
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
#: How to write credentials holding characters a URL reserves for itself.
PERCENT_ENCODING_HINT = (
    "with credentials: http://user:password@host:port, any of : / ? # [ ] @ % in them "
    "percent-encoded (# as %23, @ as %40, / as %2F)"
)
PROXY_URL_EXAMPLE = (
    f'e.g. "http://proxy.example:3128" ({PERCENT_ENCODING_HINT}); '
    "None: the environment's proxy variables; False: no proxy"
)


def proxy_url_problem(url: str, schemes: tuple[str, ...] = SETTING_SCHEMES) -> str | None:
    """Return why ``url`` is not a proxy URL, or ``None`` when it is one.

    A proxy URL has one of ``schemes``, a host, an optional port, and nothing after them.

    Python's parser (which requests reads the credentials with) and urllib3's (which it
    connects with) must agree on the host and port. The credentials must be Latin-1 text
    once percent-decoded: requests sends no other in ``Proxy-Authorization`` (it raises
    ``UnicodeEncodeError`` instead). The reason never repeats any part of ``url``.
    """
    if any(char.isspace() or not char.isprintable() for char in url):
        return "contains a space or a control character"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not one)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in schemes:
        return "must start with " + " or ".join(f"{scheme}://" for scheme in schemes)
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        return "must be a scheme, host and port only"
    if not _is_host(parts.hostname):
        return "must name its host by an ASCII host name or an IP address"
    if not _parsers_agree(url, parts.hostname, parts.port):
        return "is not a valid URL"
    credentials = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    if not _is_latin1(credentials):
        return "has a user name or password that is not Latin-1 text once percent-decoded"
    return None


def _parsers_agree(url: str, host: str, port: int | None) -> bool:
    """Return whether urllib3 reads ``url``'s host and port as Python did.

    requests connects where urllib3 reads them, while every message (and the credentials'
    parsing) follows Python. Where the two disagree (a backslash, a bracket), calls would go
    to a host that no message names.
    """
    try:
        connects_to = parse_url(url)
    except ValueError:  # urllib3's LocationParseError
        return False
    return (connects_to.host or "").strip("[]").lower() == host and connects_to.port == port


def _is_latin1(text: str) -> bool:
    """Return whether ``text`` encodes to Latin-1, as HTTP Basic credentials must here."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _is_host(host: str) -> bool:
    """Return whether ``host`` is a host name or an IP address (IPv6 without brackets)."""
    if _HOST_NAME.fullmatch(host):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def proxy_url(key: str, value: Any) -> str | Literal[False] | None:
    """Return ``value`` checked as the ``proxy_url`` setting.

    It is ``None`` (the environment decides), ``False`` (no proxy) or an ``http(s)://`` proxy
    URL. A message never repeats the URL, since it may carry a password.
    """
    if value is None or value is False:
        return value
    if not isinstance(value, str):
        raise fail(key, f"must be a proxy URL, None or False, not {typename(value)}")
    text = value.strip()
    problem = proxy_url_problem(text)
    if problem is not None:
        raise fail(key, problem, PROXY_URL_EXAMPLE)
    return text
