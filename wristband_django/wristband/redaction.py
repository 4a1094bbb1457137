"""Credentials out of URLs before they reach a log line, a message or a command's output.

A proxy URL may carry ``user:password@``; so may any URL an operator configures. Whatever
shows such a URL shows it through ``redact_credentials``.
"""

from __future__ import annotations

import re

#: A scheme and its ``://``, as RFC 3986 spells a scheme. It cannot reach past the first
#: ``:``, so a password (which follows ``user:``) is never taken for one.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
REDACTED = "***"


def scheme_prefix(url: str) -> str:
    """Return the ``scheme://`` that starts ``url``, or ``""`` when it has none."""
    match = _SCHEME.match(url)
    return match.group() if match else ""


def redact_credentials(url: str) -> str:
    """Return ``url`` with everything between its scheme and its last ``@`` replaced by ``***``.

    For example, ``http://user:pa/ss@proxy:3128`` becomes ``http://***@proxy:3128``.
    No URL parser decides where the credentials end: a password may hold ``/``, ``?``,
    ``#``, ``@`` or ``[``, which make a parser see a path, a query, a fragment or an IPv6
    host there (and find no ``@``, or raise). A URL without a scheme
    (``user:password@proxy:3128``) is redacted the same way. The user name goes too: it
    names an account, and an operator needs only the host and port. An ``@`` further on (in
    a path or query, which a proxy URL has none of) makes more be redacted, never less.
    """
    start = len(scheme_prefix(url))
    at = url.rfind("@", start)
    if at < 0:
        return url
    return f"{url[:start]}{REDACTED}@{url[at + 1 :]}"
