"""In DEBUG, a login started on another origin than its ``redirect_uri``'s gets a page (and a
WARNING) instead of a redirect whose login-state cookie would never come back: the address
``runserver`` prints (``127.0.0.1``) against a registered ``localhost``, another port, a
tenant subdomain on another port. Equal origins, and anything with ``DEBUG = False``, get
the redirect as before; no Host value makes it fail."""

from __future__ import annotations

import html
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.support.auth_helpers import login_cookies, query_of
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.usefixtures("wristband")

LOGGER = "wristband_django.flows.login_origins"
LOCALHOST = {
    "login_url": "http://localhost:8000/auth/login/",
    "redirect_uri": "http://localhost:8000/auth/callback/",
}
SUBDOMAINS = {
    "login_url": "http://{tenant_name}.localhost:8000/auth/login/",
    "redirect_uri": "http://{tenant_name}.localhost:8000/auth/callback/",
    "login_url_tenant_domain_suffix": "localhost",
}


@pytest.fixture(autouse=True)
def debug(settings: Any) -> None:
    settings.DEBUG = True


def links(response: Any) -> dict[str, str]:
    """The page's links by id."""
    found = re.findall(r'<a id="([\w-]+)" href="([^"]*)"', response.content.decode())
    return {name: html.unescape(href) for name, href in found}


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelname == "WARNING"]


def assert_other_origin_page(response: Any, here: str, there: str) -> dict[str, str]:
    """The page names both origins and offers the same login on ``there``; returns its links."""
    assert response.status_code == 200
    text = response.content.decode()
    assert f"<code>{here}</code>" in text and f"<code>{there}</code>" in text
    assert "Content-Security-Policy" not in response  # the page relies on the base template
    assert "<script" not in text and "style=" not in text
    found = links(response)
    assert set(found) == {"elsewhere", "continue"}
    return found


@pytest.mark.fake_wristband(**LOCALHOST)
def test_runservers_address_against_a_localhost_redirect_uri_gets_a_page(
    client: Client, wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    response = client.get(
        "/auth/login/?tenant_name=acme&return_url=/reports", HTTP_HOST="127.0.0.1:8000"
    )
    found = assert_other_origin_page(response, "http://127.0.0.1:8000", "http://localhost:8000")
    # The same login (path and query) on the redirect URI's origin.
    assert (
        found["elsewhere"]
        == "http://localhost:8000/auth/login/?tenant_name=acme&return_url=/reports"
    )
    # Continuing anyway goes to Wristband, with the login state set as for the redirect.
    assert urlsplit(found["continue"]).netloc == wristband.tenant_host("acme")
    ((_, morsel),) = login_cookies(response).items()
    assert query_of(found["continue"])["redirect_uri"] == LOCALHOST["redirect_uri"]
    assert morsel.value
    (warning,) = warnings(caplog)
    assert "http://127.0.0.1:8000" in warning and "http://localhost:8000" in warning


@pytest.mark.fake_wristband(**LOCALHOST)
def test_the_link_on_the_redirect_uris_origin_starts_the_login(
    client: Client, wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    page = client.get("/auth/login/?tenant_name=acme", HTTP_HOST="127.0.0.1:8000")
    elsewhere = urlsplit(links(page)["elsewhere"])
    followed = client.get(f"{elsewhere.path}?{elsewhere.query}", HTTP_HOST=elsewhere.netloc)
    assert followed.status_code == 302
    assert urlsplit(followed["Location"]).netloc == wristband.tenant_host("acme")
    assert len(warnings(caplog)) == 1  # the page's, not the followed link's


@pytest.mark.fake_wristband(**LOCALHOST)
def test_another_port_gets_a_page_naming_both(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    response = client.get("/auth/login/?tenant_name=acme", HTTP_HOST="localhost:8002")
    found = assert_other_origin_page(response, "http://localhost:8002", "http://localhost:8000")
    assert found["elsewhere"] == "http://localhost:8000/auth/login/?tenant_name=acme"
    (warning,) = warnings(caplog)
    assert "http://localhost:8002" in warning and "http://localhost:8000" in warning


@pytest.mark.fake_wristband(**LOCALHOST)
def test_an_ipv6_loopback_is_named_as_browsers_write_it(client: Client) -> None:
    response = client.get("/auth/login/?tenant_name=acme", HTTP_HOST="[::1]:8000")
    found = assert_other_origin_page(response, "http://[::1]:8000", "http://localhost:8000")
    assert found["elsewhere"] == "http://localhost:8000/auth/login/?tenant_name=acme"


@pytest.mark.fake_wristband(**LOCALHOST)
@pytest.mark.parametrize("host", ["localhost:8000", "LOCALHOST:8000", "LocalHost:8000"])
def test_the_redirect_uris_origin_gets_the_redirect(
    client: Client, caplog: pytest.LogCaptureFixture, host: str
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    response = client.get("/auth/login/?tenant_name=acme", HTTP_HOST=host)
    assert response.status_code == 302 and login_cookies(response)
    assert warnings(caplog) == []


@pytest.mark.fake_wristband(
    login_url="http://localhost/auth/login/", redirect_uri="http://localhost/auth/callback/"
)
def test_a_default_port_is_the_same_origin(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    assert client.get("/auth/login/?tenant_name=acme", HTTP_HOST="localhost:80").status_code == 302
    assert warnings(caplog) == []


@pytest.mark.fake_wristband(**SUBDOMAINS)
def test_tenant_subdomains_compare_the_tenants_callback_host(
    client: Client, wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    same = client.get("/auth/login/", HTTP_HOST="acme.localhost:8000")
    assert same.status_code == 302
    assert urlsplit(same["Location"]).netloc == wristband.tenant_host("acme")
    assert warnings(caplog) == []

    other_port = client.get("/auth/login/?return_url=/x", HTTP_HOST="acme.localhost:8002")
    found = assert_other_origin_page(
        other_port, "http://acme.localhost:8002", "http://acme.localhost:8000"
    )
    assert found["elsewhere"] == "http://acme.localhost:8000/auth/login/?return_url=/x"
    # A tenant named on the root host: its cookie would not reach the tenant's subdomain.
    root = client.get("/auth/login/?tenant_name=globex", HTTP_HOST="localhost:8000")
    assert_other_origin_page(root, "http://localhost:8000", "http://globex.localhost:8000")
    assert len(warnings(caplog)) == 2


@pytest.mark.fake_wristband(**SUBDOMAINS)
def test_tenant_discovery_sets_no_cookie_and_gets_the_redirect(
    client: Client, wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, LOGGER)
    response = client.get("/auth/login/", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 302 and response["Location"].startswith(wristband.base_url)
    assert warnings(caplog) == []


@pytest.mark.fake_wristband(**LOCALHOST)
def test_nothing_changes_without_debug(
    client: Client, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DEBUG = False
    caplog.set_level(logging.DEBUG, LOGGER)
    for host in ("127.0.0.1:8000", "localhost:8002"):
        response = client.get("/auth/login/?tenant_name=acme", HTTP_HOST=host)
        assert response.status_code == 302 and login_cookies(response)
    assert [r for r in caplog.records if r.name == LOGGER] == []


HOSTILE_HOSTS = [
    "localhost:99999999",
    "localhost:-1",
    "localhost:8000:8000",
    "[::1",
    "[::1]:8000",
    "[zz::1]",
    "evil.com/x",
    "evil.com#@localhost:8000",
    "user@localhost:8000",
    "a" * 300,
    "xn--mnich-kva.example",
    "münich.example",
    "",
    " ",
    "localhost:8000\r\nX: y",
    "%00",
]


@pytest.mark.fake_wristband(**LOCALHOST)
@pytest.mark.parametrize("allowed", [["*"], ["localhost"]])
@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_no_host_value_makes_the_login_fail(
    client: Client, settings: Any, allowed: list[str], host: str
) -> None:
    settings.ALLOWED_HOSTS = allowed
    response = client.get("/auth/login/?tenant_name=acme", HTTP_HOST=host)
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 200:  # a host Django accepts, on another origin
        assert "<script" not in response.content.decode()
