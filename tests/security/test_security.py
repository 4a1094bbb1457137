"""The threat-by-threat suite behind docs/SECURITY.md (the rest lives beside the features:
test_login_view, test_callback_view, test_logout_and_session_views, test_middleware)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client

from tests.support import figures
from tests.support.auth_helpers import expire_access_token, finish_login, log_in, start_login
from tests.support.leaks import leaked, secrets_seen, tokens_of
from wristband_django.testing import FakeTenant, FakeWristband

pytestmark = pytest.mark.usefixtures("wristband")

# 36 ways to try to leave the site through return_url. None may survive.
OPEN_REDIRECTS = [
    "//evil.com",
    "///evil.com",
    "////evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "/\\/evil.com",
    "https:evil.com",
    "https:/evil.com",
    "http://evil.com",
    "https://evil.com",
    "//evil.com/%2f..",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "http:999999999",
    "http://999999999",
    "http://0x7f.0x0.0x0.0x1/",
    "//evil\u3002com",  # ideographic full stop
    "//\uff45\uff56\uff49\uff4c.com",  # fullwidth letters
    "/%09/evil.com",
    "/\t/evil.com",
    " //evil.com",
    "\n//evil.com",
    "//evil.com\r\n",
    "%2F%2Fevil.com",
    "https://testserver.evil.com/",
    "https://evil.com#@testserver/",
    "https://evil.com?@testserver/",
    "https://testserver@evil.com/",
    "http://[::1]:80@evil.com/",
    "ftp://evil.com/",
    "//evil.com:443@testserver",
    "http:/\\evil.com",
]


def stays_on_site(location: str) -> bool:
    """A Location every browser resolves on this site: one leading slash, nothing a browser
    would normalise into a host (backslashes, whitespace, control characters)."""
    return (
        location.startswith("/")
        and not location.startswith("//")
        and all(ch.isprintable() and not ch.isspace() and ch != "\\" for ch in location)
    )


@pytest.mark.parametrize("hostile", OPEN_REDIRECTS)
def test_return_url_cannot_leave_the_site(
    client: Client, wristband: FakeWristband, hostile: str
) -> None:
    figures.count("open redirect attempts")
    started = start_login(client, "tenant_name=acme&return_url=" + quote(hostile, safe=""))
    landed = finish_login(client, wristband, started["Location"])["Location"]
    assert stays_on_site(landed), f"{hostile!r} -> {landed!r}"
    assert landed in ("/", hostile)  # dropped, or kept only because it is a plain local path


@pytest.mark.parametrize(
    "hostile",
    ["evil.com#", "evil.com", "evil.com/", "evil.com?", "evil.com:443", "a.evil.com", "%2e%2e",
     "acme@evil.com", "acme\\evil.com", "ACME.evil", " acme", "acme\n", "xn--80ak6aa92e.com"],
)  # fmt: skip
def test_tenant_name_cannot_point_the_browser_elsewhere(
    client: Client, wristband: FakeWristband, hostile: str
) -> None:
    figures.count("open redirect attempts")
    response = client.get("/auth/login/?tenant_name=" + quote(hostile, safe=""))
    host = urlsplit(response["Location"]).netloc
    assert host.endswith(wristband.vanity_domain), host


@pytest.mark.fake_wristband(tenants=[FakeTenant("acme", custom_domain="login.acme.test")])
@pytest.mark.parametrize(
    "hostile", ["evil.com", "login.acme.test.evil.com", "evil.com/login.acme.test", "127.0.0.1"]
)
def test_tenant_custom_domain_must_be_confirmed(
    client: Client, wristband: FakeWristband, hostile: str
) -> None:
    figures.count("open redirect attempts")
    for path in ("/auth/login/", "/auth/logout/"):
        send = client.post if path == "/auth/logout/" else client.get
        response = send(f"{path}?tenant_custom_domain={quote(hostile, safe='')}")
        host = urlsplit(response["Location"]).netloc
        assert host.endswith(wristband.vanity_domain), (path, host)


def test_mixed_up_issuer_is_refused(client: Client, wristband: FakeWristband) -> None:
    started = start_login(client)
    callback = wristband.authorize(started["Location"])
    parts = urlsplit(callback)
    response = client.get(f"{parts.path}?{parts.query}&iss=https%3A%2F%2Fevil.example")
    assert response.status_code == 400 and b"invalid_issuer" in response.content
    assert client.get("/auth/session/").status_code == 401
    assert not wristband.calls("token")  # the code never left for the token endpoint


def test_matching_issuer_parameter_is_accepted(client: Client, wristband: FakeWristband) -> None:
    started = start_login(client)
    parts = urlsplit(wristband.authorize(started["Location"]))
    response = client.get(f"{parts.path}?{parts.query}&iss={quote(wristband.issuer, safe='')}")
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize(
    "path", ["/auth/login/", "/auth/callback/", "/auth/session/", "/auth/token/"]
)
def test_oversized_cookies_and_headers_are_harmless(
    client: Client, wristband: FakeWristband, path: str
) -> None:
    log_in(client, wristband)
    for index in range(12):  # ~48 KB of cookies, some shaped like login state
        client.cookies[f"login#junk{index}#1700000000000"] = "A" * 4000
    client.cookies["x" * 200] = "y" * 4000
    response = client.get(
        f"{path}?state={'s' * 20000}&tenant_name={'t' * 5000}",
        HTTP_X_FORWARDED_FOR="1.2.3.4, " * 3000,
        HTTP_REFERER="https://r.example/" + "r" * 16000,
        HTTP_USER_AGENT="u" * 16000,
    )
    assert response.status_code < 500
    assert client.get("/auth/session/").status_code == 200  # the real session is unharmed


def test_no_secret_in_any_log_line_at_debug(
    client: Client, wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything: ours, Django's, urllib3's
    log_in(client, wristband)
    seen = secrets_seen(wristband, [client])
    expire_access_token(client)
    assert client.get("/auth/token/").status_code == 200  # a refresh
    seen |= secrets_seen(wristband, [client])
    wristband.inject("userinfo", status=500)  # and some failures, which log more
    log_in(Client(), wristband)
    client.post("/auth/logout/")
    seen |= secrets_seen(wristband)
    assert len(seen) >= 10  # codes, verifiers, three kinds of tokens, cookies, the secret
    assert caplog.records
    found = leaked(caplog.text, seen)
    figures.count("log lines checked", len(caplog.records))
    figures.count("secrets searched for in logs", len(seen))
    figures.count("tokens found in logs", len(found))
    assert found == []


def test_no_secret_on_any_error_page(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    settings.DEBUG = True  # even Django's debug mode shows nothing: no 500 happens
    log_in(client, wristband)
    tokens = tokens_of(client, wristband)
    started = start_login(client)
    denied = wristband.authorize(started["Location"], error="access_denied", error_description="d")
    pages = [client.get(denied.replace("http://testserver", ""))]
    wristband.override_id_token(claims={"nonce": "wrong"})
    pages.append(log_in(client, wristband))
    wristband.reset_id_token()
    wristband.inject("token", status=503)
    pages.append(log_in(client, wristband))
    pages.append(client.get("/auth/login/?tenant_name=acme&tenant_name=b"))
    pages.append(client.post("/auth/logout/", {"state": "s" * 600}))
    seen = secrets_seen(wristband, [client]) | tokens
    for page in pages:
        assert 400 <= page.status_code < 600 and page.status_code != 500
        assert leaked(page.content.decode(), seen) == []
