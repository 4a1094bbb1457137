"""Why a call to Wristband could not connect, in words an operator can act on.

requests and urllib3 nest the exception that matters (an OpenSSL verification result, the
proxy's answer to ``CONNECT``, a refused connection) several levels deep; these functions
find it and name the setting or the environment variable to look at. Nothing here logs:
the client logs the description with its route.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator

import requests

from wristband_django.wristband.route import Route

#: OpenSSL verification results that mean "no trusted CA issued this certificate".
UNTRUSTED_ISSUER_CODES = frozenset({2, 18, 19, 20, 21})
HOSTNAME_MISMATCH_CODE = 62
TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: (\d{3})\s*(.{0,60})")
#: OpenSSL's words when the server answers a TLS hello in plain http: "wrong version number"
#: (OpenSSL 1.1 to 3.1), "record layer failure" (3.2 on), "unknown protocol" (older).
PLAIN_HTTP_ANSWERS = ("wrong version number", "record layer failure", "unknown protocol")
PLAIN_HTTP_HINT = (
    "this server speaks plain http; for the fake set "
    'WRISTBAND_AUTH["dangerously_allow_http_idp"] = True (never in production)'
)


def diagnose(exc: requests.RequestException, route: Route, host: str) -> tuple[str, str] | None:
    """Return the error code and description of a proxy or TLS failure of a call to ``host``.

    The call went along ``route``. Return ``None`` when the failure to connect is of another
    kind.
    """
    proxy_failure = isinstance(
        exc, (requests.exceptions.ProxyError, requests.exceptions.InvalidProxyURL)
    ) or (route.proxy is not None and isinstance(exc, requests.exceptions.InvalidSchema))
    if proxy_failure:
        return "proxy_error", proxy_problem(exc, route, host)
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls_error", tls_problem(exc, route, host)
    return None


def tls_problem(exc: requests.RequestException, route: Route, host: str) -> str:
    """Return why TLS with ``host`` failed, with a hint when the certificate is refused.

    The hint says which CA bundle was used when the certificate's issuer is not trusted, asks
    about the vanity domain when the certificate names another host, and says so when the
    server speaks plain http (the fake Wristband without ``dangerously_allow_http_idp``).
    """
    found = list(causes(exc))
    verify = next((c for c in found if isinstance(c, ssl.SSLCertVerificationError)), None)
    if verify is not None:
        reason = f"certificate verify failed ({verify.verify_message}) for {host}"
        if verify.verify_code in UNTRUSTED_ISSUER_CODES:
            return f"{reason}: {route.ca_hint()}"
        if verify.verify_code == HOSTNAME_MISMATCH_CODE:
            return f"{reason}: is wristband_application_vanity_domain right?"
        return reason
    other = next((c for c in found if isinstance(c, ssl.SSLError)), None)
    if other is not None and any(words in ssl_text(other).lower() for words in PLAIN_HTTP_ANSWERS):
        return f"TLS with {host} failed: {PLAIN_HTTP_HINT}"
    if other is not None:
        return f"TLS with {host} failed ({ssl_text(other)})"
    return f"TLS with {host} failed"


def proxy_problem(exc: requests.RequestException, route: Route, host: str) -> str:
    """Return why the proxy of ``route`` did not connect to ``host``.

    The reason names where the proxy came from (a setting or an environment variable) when
    that is what to fix.
    """
    source = route.proxy_source
    found = list(causes(exc))
    for cause in found:
        tunnel = TUNNEL_REFUSED.match(str(cause)) if type(cause) is OSError else None
        if tunnel is not None:
            status, reason = tunnel.group(1), tunnel.group(2).strip()
            hint = (
                f"give the proxy's credentials in {source} (http://user:password@host:port)"
                if status == "407"
                else "does the proxy allow connections to this host and port?"
            )
            return (
                f"the proxy refused the connection to {host} (CONNECT answered {status} "
                f"{reason}): {hint}"
            )
    if any(isinstance(cause, ConnectionRefusedError) for cause in found):
        return f"the proxy refused the connection: is it running, and is {source} right?"
    if any(isinstance(cause, socket.gaierror) for cause in found):
        return f"the proxy's host name does not resolve: is {source} right?"
    if any(isinstance(cause, TimeoutError) for cause in found):
        return "the proxy did not answer in time"
    tls = next((cause for cause in found if isinstance(cause, ssl.SSLError)), None)
    if tls is not None:
        return f"TLS with the proxy failed ({ssl_text(tls)}): is {source}'s scheme right?"
    if isinstance(exc, requests.exceptions.ProxyError):
        return f"the proxy failed ({type(found[-1]).__name__})"
    return f"the proxy URL from {source} is not usable ({type(exc).__name__})"


def causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield ``exc`` and every exception it wraps, outermost first.

    requests and urllib3 nest them in ``args``, ``reason`` and ``original_error``.
    """
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = (
            getattr(current, "reason", None),
            getattr(current, "original_error", None),
            current.__cause__,
            current.__context__,
            *current.args,
        )
        pending.extend(item for item in inner if isinstance(item, BaseException))


def ssl_text(error: ssl.SSLError) -> str:
    """Return OpenSSL's words for ``error``, without the source location (``(_ssl.c:1006)``)."""
    text = str(error.args[1]) if len(error.args) > 1 else str(error)
    return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", text)
