"""Corporate networks: a private CA and a forward proxy between the app and Wristband.

The fake Wristband speaks https with a certificate from a throwaway CA that nothing trusts
unless told to; a real CONNECT proxy on 127.0.0.1 records the tunnels it opened. The CA and
the proxy reach the app through the environment (as requests reads it: ``REQUESTS_CA_BUNDLE``,
``SSL_CERT_FILE``, ``HTTPS_PROXY``, ``NO_PROXY``...) or through the ``ca_bundle`` and
``proxy_url`` settings, which win. ``.netrc`` is never read.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import socket
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpResponse
from django.test import Client

from tests.deployment.tls import ThrowawayCA, make_ca
from tests.support.auth_helpers import finish_login, log_in, start_login, stored_entry
from tests.support.connect_proxy import ConnectProxy
from tests.support.network import free_port
from tests.support.proxy_redaction import NETWORK_VARIABLES
from wristband_django.conf import parse_auth_config
from wristband_django.testing import FakeWristband
from wristband_django.testing.pytest_plugin import marker_kwargs
from wristband_django.wristband.redaction import redact_credentials
from wristband_django.wristband.route import Route

CLIENT_LOGGER = "wristband_django.wristband.client"
PROXY_PASSWORD = "pr0xy-pa55word-do-not-log"
#: Explicit URLs, so that a login needs no call before the callback (the login page itself
#: works when Wristband is unreachable, and the callback is where the failure must show).
NO_AUTO_CONFIGURATION = {
    "auto_configure_enabled": False,
    "login_url": "http://testserver/auth/login/",
    "redirect_uri": "http://testserver/auth/callback/",
    "is_application_custom_domain_active": True,  # tenant hosts {tenant}.localhost, as the fake's
}


@pytest.fixture(autouse=True)
def clean_network_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No proxy, CA or netrc variable from the machine (either case), and a HOME of our own."""
    for name in NETWORK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture(scope="session")
def corporate_ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCA:
    return make_ca(tmp_path_factory.mktemp("corporate-ca"))


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCA:
    return make_ca(tmp_path_factory.mktemp("other-ca"), name="Some Other CA")


@pytest.fixture
def https_fake(
    request: pytest.FixtureRequest, settings: Any, corporate_ca: ThrowawayCA
) -> Iterator[FakeWristband]:
    """The fake Wristband over https (its certificate from ``corporate_ca``), wired into
    ``WRISTBAND_AUTH`` without ``dangerously_allow_http_idp``; the ``wristband_settings``
    marker adds settings."""
    overrides = marker_kwargs(request.node, "wristband_settings")
    with FakeWristband(
        login_url="http://testserver/auth/login/",
        redirect_uri="http://testserver/auth/callback/",
        tls=corporate_ca.server_context(),
    ) as fake:
        settings.WRISTBAND_AUTH = fake.auth_settings(**overrides)
        yield fake


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    with ConnectProxy() as running:
        yield running


def dead_proxy_url() -> str:
    """A proxy address nothing listens on: the connection is refused."""
    return f"http://127.0.0.1:{free_port()}"


def assert_logged_in(response: HttpResponse, client: Client) -> None:
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == "/"
    assert stored_entry(client) is not None


def callback_after_login(fake: FakeWristband) -> HttpResponse:
    """Start a login (no call to Wristband) and come back with a code: the callback's
    response, whose code exchange is the first call to Wristband."""
    client = Client()
    started = start_login(client)
    return finish_login(client, fake, started["Location"])


def client_warnings(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name == CLIENT_LOGGER and record.levelno >= logging.WARNING
    )


def wristband_check() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with contextlib.suppress(CommandError):  # a failed check: its lines are the result
        call_command("wristband_check", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- the private CA, through the environment -------------------------------------------------


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"])
def test_login_over_https_trusts_the_ca_the_environment_names(
    https_fake: FakeWristband,
    corporate_ca: ThrowawayCA,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    monkeypatch.setenv(variable, str(corporate_ca.ca_path))
    client = Client()
    response = log_in(client, https_fake)
    assert_logged_in(response, client)
    assert https_fake.issuer.startswith("https://localhost:")
    assert {"sdk_configuration", "token", "jwks", "userinfo"} <= {
        r.endpoint for r in https_fake.requests
    }


@pytest.mark.wristband_settings(**NO_AUTO_CONFIGURATION)
def test_an_untrusted_ca_is_a_503_and_the_log_names_the_fix(
    https_fake: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    response = callback_after_login(https_fake)
    assert response.status_code == 503
    assert b"tls_error" in response.content
    logged = client_warnings(caplog)
    assert "certificate verify failed (unable to get local issuer certificate)" in logged
    assert "is your CA in REQUESTS_CA_BUNDLE?" in logged
    assert "CA bundle: certifi's" in logged  # the route the call took
    assert https_fake.calls("token") == []  # the handshake failed: nothing was sent


def test_wristband_check_names_the_tls_failure_and_the_fix(https_fake: FakeWristband) -> None:
    out, err = wristband_check()
    assert "network: no proxy, CA bundle: certifi's (requests' default)" in out
    assert "✗ could not reach Wristband's JWKS: tls_error: JWKS: certificate verify failed" in err
    assert "is your CA in REQUESTS_CA_BUNDLE?" in err


def test_wristband_check_shows_the_route_it_took(
    https_fake: FakeWristband, corporate_ca: ThrowawayCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(corporate_ca.ca_path))
    out, err = wristband_check()
    assert f"network: no proxy, CA bundle {corporate_ca.ca_path} (from SSL_CERT_FILE)" in out
    assert "✓ Wristband's JWKS: 1 RSA signing key(s)" in out
    assert "tls_error" not in err


@pytest.mark.wristband_settings(**NO_AUTO_CONFIGURATION)
def test_a_certificate_for_another_host_is_not_blamed_on_the_ca(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    elsewhere = make_ca(tmp_path / "elsewhere", hosts=("elsewhere.test",), addresses=())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(elsewhere.ca_path))  # trusted, wrong host
    with FakeWristband(tls=elsewhere.server_context()) as fake:
        settings.WRISTBAND_AUTH = fake.auth_settings(**NO_AUTO_CONFIGURATION)
        response = callback_after_login(fake)
    assert response.status_code == 503
    logged = client_warnings(caplog)
    assert "certificate verify failed (Hostname mismatch" in logged
    assert "is wristband_application_vanity_domain right?" in logged
    assert "is your CA in" not in logged


@pytest.mark.wristband_settings(**NO_AUTO_CONFIGURATION)
def test_a_missing_ca_bundle_is_a_503_naming_the_variable_not_a_500(
    https_fake: FakeWristband,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    missing = tmp_path / "no-such-bundle.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(missing))
    response = callback_after_login(https_fake)
    assert response.status_code == 503
    assert b"the CA bundle REQUESTS_CA_BUNDLE names does not exist" in response.content
    assert str(missing) in client_warnings(caplog)  # the path in the log, not on the page
    assert str(missing).encode() not in response.content


# --- the proxy, through the environment ---------------------------------------------------


def test_https_proxy_carries_every_call(
    https_fake: FakeWristband,
    corporate_ca: ThrowawayCA,
    proxy: ConnectProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate_ca.ca_path))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    client = Client()
    assert_logged_in(log_in(client, https_fake), client)
    assert proxy.targets, "the proxy saw no CONNECT"
    assert set(proxy.targets) == {https_fake.vanity_domain}


@pytest.mark.parametrize(
    ("no_proxy", "proxied"),
    [("localhost", False), (".example.com,localhost", False), ("example.com", True)],
)
def test_no_proxy_lists_the_hosts_reached_directly(
    https_fake: FakeWristband,
    corporate_ca: ThrowawayCA,
    proxy: ConnectProxy,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
    proxied: bool,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate_ca.ca_path))
    monkeypatch.setenv("https_proxy", proxy.url)  # lower case, as many shells set it
    monkeypatch.setenv("NO_PROXY", no_proxy)
    client = Client()
    assert_logged_in(log_in(client, https_fake), client)
    assert bool(proxy.targets) is proxied


@pytest.mark.wristband_settings(**NO_AUTO_CONFIGURATION)
def test_a_proxy_that_refuses_the_connection_is_a_503_named_in_the_log(
    https_fake: FakeWristband,
    corporate_ca: ThrowawayCA,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate_ca.ca_path))
    monkeypatch.setenv("HTTPS_PROXY", dead_proxy_url())
    response = callback_after_login(https_fake)
    assert response.status_code == 503
    assert b"proxy_error" in response.content
    logged = client_warnings(caplog)
    assert "proxy refused the connection: is it running, and is HTTPS_PROXY right?" in logged
    assert https_fake.calls("token") == []

    out, err = wristband_check()
    assert "network: proxy http://127.0.0.1:" in out and "(from HTTPS_PROXY)" in out
    assert "proxy_error: JWKS: the proxy refused the connection" in err


@pytest.mark.wristband_settings(**NO_AUTO_CONFIGURATION)
def test_a_proxy_that_refuses_the_tunnel_says_so(
    https_fake: FakeWristband,
    corporate_ca: ThrowawayCA,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate_ca.ca_path))
    with ConnectProxy(refuse_with=403) as forbidding:
        monkeypatch.setenv("HTTPS_PROXY", forbidding.url)
        response = callback_after_login(https_fake)
        _, err = wristband_check()
    assert response.status_code == 503
    expected = (
        f"the proxy refused the connection to {https_fake.vanity_domain} "
        "(CONNECT answered 403 Forbidden): does the proxy allow connections"
    )
    assert expected in client_warnings(caplog)
    assert expected in err
    assert forbidding.targets and https_fake.calls("token") == []


@pytest.mark.wristband_settings(**NO_AUTO_CONFIGURATION, proxy_url="http://proxy.invalid:3128")
def test_a_proxy_whose_name_does_not_resolve_says_so(
    https_fake: FakeWristband, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    resolve = socket.getaddrinfo

    def no_such_host(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "proxy.invalid":  # as a resolver answers, without waiting for a real one
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    response = callback_after_login(https_fake)
    assert response.status_code == 503
    assert (
        "proxy_error: code exchange: the proxy's host name does not resolve: is the proxy_url "
        "setting right?"
    ) in client_warnings(caplog)


# --- settings win over the environment ----------------------------------------------------


def test_the_proxy_url_setting_wins_over_https_proxy(
    https_fake: FakeWristband,
    corporate_ca: ThrowawayCA,
    proxy: ConnectProxy,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate_ca.ca_path))
    monkeypatch.setenv("HTTPS_PROXY", dead_proxy_url())
    monkeypatch.setenv("NO_PROXY", "localhost")  # the environment's rule, not the setting's
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "proxy_url": proxy.url}
    client = Client()
    assert_logged_in(log_in(client, https_fake), client)
    assert set(proxy.targets) == {https_fake.vanity_domain}


def test_proxy_url_false_ignores_the_environments_proxy(
    https_fake: FakeWristband,
    corporate_ca: ThrowawayCA,
    proxy: ConnectProxy,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate_ca.ca_path))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "proxy_url": False}
    client = Client()
    assert_logged_in(log_in(client, https_fake), client)
    assert proxy.targets == []


@pytest.mark.wristband_settings(**NO_AUTO_CONFIGURATION)
@pytest.mark.parametrize("setting_is_right", [True, False])
def test_the_ca_bundle_setting_wins_over_requests_ca_bundle(
    https_fake: FakeWristband,
    corporate_ca: ThrowawayCA,
    other_ca: ThrowawayCA,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    setting_is_right: bool,
) -> None:
    right, wrong = corporate_ca.ca_path, other_ca.ca_path
    setting, environment = (right, wrong) if setting_is_right else (wrong, right)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(environment))
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "ca_bundle": str(setting)}
    response = callback_after_login(https_fake)
    if setting_is_right:
        assert response.status_code == 302 and response["Location"] == "/"
    else:
        assert response.status_code == 503
        assert "is your CA in the file the ca_bundle setting names?" in client_warnings(caplog)


# --- credentials: the proxy's reach the proxy only, .netrc is never read --------------------


def test_proxy_credentials_reach_the_proxy_and_no_log(
    https_fake: FakeWristband,
    corporate_ca: ThrowawayCA,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate_ca.ca_path))
    with ConnectProxy(refuse_with=407) as demanding:
        url = demanding.url.replace("http://", f"http://corp-user:{PROXY_PASSWORD}@")
        settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "proxy_url": url}
        # The Login endpoint needs Wristband's sdk-configuration: through this proxy, a 503.
        response = Client().get("/auth/login/?tenant_name=acme")
        out, err = wristband_check()
        port = demanding.port
    assert response.status_code == 503
    expected = base64.b64encode(f"corp-user:{PROXY_PASSWORD}".encode()).decode()
    assert demanding.authorizations[0] == f"Basic {expected}"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "give the proxy's credentials in the proxy_url setting" in logged
    assert f"proxy http://***@127.0.0.1:{port} (from the proxy_url setting)" in out
    for text in (logged, out, err, response.content.decode()):
        assert PROXY_PASSWORD not in text
        assert "corp-user" not in text


def test_netrc_is_never_read(
    https_fake: FakeWristband, corporate_ca: ThrowawayCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = Path.home() / ".netrc"
    netrc.write_text("machine localhost login netrc-user password netrc-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(corporate_ca.ca_path))
    client = Client()
    assert_logged_in(log_in(client, https_fake), client)
    netrc_basic = base64.b64encode(b"netrc-user:netrc-password").decode()
    jwks = https_fake.calls("jwks")
    assert jwks and all("authorization" not in r.headers for r in jwks)
    assert all(netrc_basic not in r.headers.get("authorization", "") for r in https_fake.requests)


# --- how the route is resolved ------------------------------------------------------------

BASE = {
    "client_id": "cid",
    "client_secret": "s" * 32,
    "wristband_application_vanity_domain": "auth.example.test:8443",
}


def route_for(**settings: Any) -> Route:
    config = parse_auth_config({**BASE, **settings})
    return Route.resolve(config, f"{config.wristband_base_url}/api/v1")


@pytest.mark.parametrize(
    ("environment", "source"),
    [
        ({}, ""),
        ({"SSL_CERT_DIR": "/d"}, "SSL_CERT_DIR"),
        ({"SSL_CERT_DIR": "/d", "SSL_CERT_FILE": "/f"}, "SSL_CERT_FILE"),
        ({"SSL_CERT_FILE": "/f", "CURL_CA_BUNDLE": "/c"}, "CURL_CA_BUNDLE"),
        ({"CURL_CA_BUNDLE": "/c", "REQUESTS_CA_BUNDLE": "/r"}, "REQUESTS_CA_BUNDLE"),
        ({"REQUESTS_CA_BUNDLE": "", "SSL_CERT_FILE": "/f"}, "SSL_CERT_FILE"),  # empty: unset
    ],
)
def test_the_ca_bundle_comes_from_the_first_variable_set(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], source: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    route = route_for()
    assert route.ca_bundle_source == source
    assert route.ca_bundle == (environment[source] if source else None)
    assert route_for(ca_bundle="/mine.pem").ca_bundle == "/mine.pem"


def test_proxy_variables_follow_the_scheme_as_requests_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://plain-proxy:3128")
    assert route_for().proxy is None  # HTTP_PROXY is for http URLs only
    http_route = route_for(dangerously_allow_http_idp=True)
    assert (http_route.proxy, http_route.proxy_source) == ("http://plain-proxy:3128", "HTTP_PROXY")
    monkeypatch.setenv("ALL_PROXY", "all-proxy:3128")  # no scheme: http://, as requests does
    assert (route_for().proxy, route_for().proxy_source) == ("http://all-proxy:3128", "ALL_PROXY")
    monkeypatch.setenv("HTTPS_PROXY", "http://tls-proxy:3128")
    assert route_for().proxy_source == "HTTPS_PROXY"
    monkeypatch.setenv("NO_PROXY", "example.test")  # a domain covers its subdomains
    assert (route_for().proxy, route_for().proxy_source) == (None, "NO_PROXY")


def test_proxy_credentials_are_redacted_everywhere_they_could_show() -> None:
    url = f"http://corp-user:{PROXY_PASSWORD}@proxy.corp:3128"
    assert redact_credentials(url) == "http://***@proxy.corp:3128"
    assert redact_credentials("http://proxy.corp:3128") == "http://proxy.corp:3128"
    route = route_for(proxy_url=url)
    assert PROXY_PASSWORD not in str(route) + repr(route)
    assert PROXY_PASSWORD not in repr(parse_auth_config({**BASE, "proxy_url": url}))


@pytest.mark.parametrize(
    "value",
    [
        f"socks5://user:{PROXY_PASSWORD}@proxy:1080",
        f"user:{PROXY_PASSWORD}@proxy:3128",
        f"http://user:{PROXY_PASSWORD}@proxy:3128/path",
        f"http://user:{PROXY_PASSWORD}@proxy:99999",
        "http://",
    ],
)
def test_a_bad_proxy_url_is_refused_without_repeating_it(value: str) -> None:
    with pytest.raises(ImproperlyConfigured) as info:
        parse_auth_config({**BASE, "proxy_url": value})
    message = str(info.value)
    assert message.startswith('WRISTBAND_AUTH["proxy_url"] ')
    assert "http://proxy.example:3128" in message  # the example of a right one
    assert PROXY_PASSWORD not in message


@pytest.mark.parametrize("value", [True, "", "  ", 3128])
def test_proxy_url_and_ca_bundle_types(value: Any) -> None:
    with pytest.raises(ImproperlyConfigured, match=r'\["proxy_url"\]'):
        parse_auth_config({**BASE, "proxy_url": value})
    with pytest.raises(ImproperlyConfigured, match=r'\["ca_bundle"\] must be the path'):
        parse_auth_config({**BASE, "ca_bundle": value})
