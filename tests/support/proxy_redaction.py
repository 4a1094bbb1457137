"""What an operator sees of a proxy URL: ``manage.py wristband_check``'s output, the log
records of ``wristband_django``, the Login endpoint's answer; and whether a password shows
in any of it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

#: Every variable that could route or trust differently on the machine running the tests
#: (what requests and the CA lookup read, netrc, and the CGI marker that makes urllib ignore
#: ``HTTP_PROXY``), in both cases.
NETWORK_VARIABLES = tuple(
    name
    for upper in (
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "NETRC",
        "REQUEST_METHOD",
    )
    for name in (upper, upper.lower())
)
#: Settings without a Wristband to reach: every call goes to the proxy, which fails it.
AUTH = {
    "client_id": "proxy-test-client",
    "client_secret": "proxy-test-client-secret-0123456789",
    "wristband_application_vanity_domain": "auth.example.test",
    "connect_timeout": 1,
    "call_timeout": 2,
}
MIN_WINDOW = 4


def auth_settings(*, http_idp: bool, **more: Any) -> dict[str, Any]:
    """``WRISTBAND_AUTH`` for calls over https (or http: ``HTTP_PROXY`` applies then)."""
    return {**AUTH, **({"dangerously_allow_http_idp": True} if http_idp else {}), **more}


@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """Run with ``variables`` set and every other network variable unset."""
    with pytest.MonkeyPatch.context() as patch:
        for name in NETWORK_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in variables.items():
            patch.setenv(name, value)
        yield


def observe(
    auth: dict[str, Any], variables: dict[str, str], caplog: pytest.LogCaptureFixture
) -> dict[str, str]:
    """Run ``manage.py wristband_check`` and a login with these settings and environment
    (fresh clients and caches): each output by name, the log with every traceback logged.
    An exception out of the command other than its ``CommandError`` propagates: the
    operator would see a traceback."""
    caplog.clear()
    with environment(variables), override_settings(WRISTBAND_AUTH=auth):
        out, err = StringIO(), StringIO()
        with contextlib.suppress(CommandError):
            call_command("wristband_check", stdout=out, stderr=err)
        login = Client(raise_request_exception=False).get("/auth/login/?tenant_name=acme")
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    return {
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "log": logged,
        "login": f"{login.status_code} {login.content.decode(errors='replace')}",
    }


def windows(secret: str) -> set[str]:
    """Every substring of ``secret`` of ``MIN_WINDOW`` characters (the whole of a shorter
    one)."""
    if len(secret) <= MIN_WINDOW:
        return {secret}
    return {secret[i : i + MIN_WINDOW] for i in range(len(secret) - MIN_WINDOW + 1)}


def shown(secrets: Iterable[str], text: str, baseline: str) -> list[str]:
    """The windows of ``secrets`` that ``text`` shows and a run without them did not
    (``baseline``): nothing but the password can explain them."""
    return sorted(
        repr(window)
        for secret in secrets
        for window in windows(secret)
        if window in text and window not in baseline
    )
