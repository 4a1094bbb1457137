"""A proxy's credentials never show: not in ``manage.py wristband_check``'s output, the log
(the DEBUG line "Calls to Wristband at ..." and every warning), errors or the error page,
whichever characters the user name and password hold and wherever the proxy URL comes from
(``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` in either case, the ``proxy_url`` setting).

The dimension that let the reported leak through is the userinfo's characters: ``/ ? # [``
make a URL parser end the authority before the ``@`` (or raise), so a redaction built on
one found nothing to redact. It is fuzzed here, through the command and the log as well as
the function. A proxy variable that is not a proxy URL is never used: a clear message
names it, never a traceback.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import figures
from tests.support.connect_proxy import ConnectProxy
from tests.support.proxy_redaction import auth_settings, environment, observe, shown
from wristband_django.conf import parse_auth_config
from wristband_django.errors import WristbandError
from wristband_django.wristband.client import WristbandClient
from wristband_django.wristband.redaction import redact_credentials

#: The characters a URL reserves, which a password may hold all the same.
RESERVED = ":/?#[]@%"
#: Where a proxy URL comes from: a variable of the environment (``HTTP_PROXY`` applies to
#: an ``http`` identity provider only) or the setting.
SOURCES = {
    "HTTP_PROXY": "http",
    "http_proxy": "http",
    "HTTPS_PROXY": "https",
    "https_proxy": "https",
    "ALL_PROXY": "https",
    "all_proxy": "https",
    "proxy_url": "https",
}
#: Any character an environment variable can hold, reserved ones often.
userinfo_characters = st.one_of(
    st.sampled_from(RESERVED),
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
)
hosts = st.sampled_from(["127.0.0.1:3128", "proxy.corp.example:8080", "[::1]:3128", "proxy"])


def scenario(source: str, url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings and the environment that make calls go through ``url`` from ``source``."""
    http_idp = SOURCES[source] == "http"
    if source == "proxy_url":
        return auth_settings(http_idp=http_idp, proxy_url=url), {}
    return auth_settings(http_idp=http_idp), {source: url}


@pytest.fixture(scope="module")
def demanding_proxy() -> Iterator[ConnectProxy]:
    """A proxy that answers every ``CONNECT`` with 407, recording the credentials it got."""
    with ConnectProxy(refuse_with=407) as proxy:
        yield proxy


@pytest.fixture(autouse=True)
def no_network_variables() -> Iterator[None]:
    with environment({}):
        yield


# --- the function -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("http://user:Pr0xy#1@127.0.0.1:3128", "http://***@127.0.0.1:3128"),  # the report's
        ("http://user:pa/ss@proxy:3128", "http://***@proxy:3128"),
        ("http://user:pa?ss@proxy:3128", "http://***@proxy:3128"),
        ("http://user:pa[ss@proxy:3128", "http://***@proxy:3128"),  # urlsplit raised
        ("http://user:pa]ss@proxy:3128", "http://***@proxy:3128"),
        ("http://us@er:p@ss@[::1]:3128", "http://***@[::1]:3128"),
        ("http://user:Pr0xy%231@proxy:3128", "http://***@proxy:3128"),
        ("user:Pr0xy#1@proxy:3128", "***@proxy:3128"),  # no scheme
        ("socks5h://user:pw@proxy:1080", "socks5h://***@proxy:1080"),
        ("http://user:a://b@proxy:3128", "http://***@proxy:3128"),
        ("http://proxy:3128", "http://proxy:3128"),
        ("proxy:3128", "proxy:3128"),
    ],
)
def test_the_userinfo_goes_whatever_it_holds(url: str, redacted: str) -> None:
    assert redact_credentials(url) == redacted


@settings(max_examples=max(400, settings.default.max_examples))
@given(
    scheme=st.sampled_from(["http://", "https://", "socks5://", ""]),
    user=st.text(userinfo_characters, max_size=12),
    password=st.text(userinfo_characters, min_size=1, max_size=24),
    percent_encoded=st.booleans(),
    host=hosts,
    tail=st.sampled_from(["", "/"]),
)
def test_fuzz_no_character_of_the_password_survives_redaction(
    scheme: str, user: str, password: str, percent_encoded: bool, host: str, tail: str
) -> None:
    written = quote(password, safe="") if percent_encoded else password
    user = quote(user, safe="") if percent_encoded else user
    redacted = redact_credentials(f"{scheme}{user}:{written}@{host}{tail}")
    head, marker, rest = redacted.partition("***@")
    assert marker and rest == f"{host}{tail}"
    # What stays before it is the scheme; without one, at most the start of the user name
    # (``ab://`` would look like a scheme), never a character of the password.
    assert head == scheme or (not scheme and user.startswith(head))


# --- what the operator sees: wristband_check, the log, the error page ---------------------


def test_the_reported_url_shows_nowhere_and_is_never_used(
    demanding_proxy: ConnectProxy, caplog: pytest.LogCaptureFixture
) -> None:
    port = demanding_proxy.port
    for source in SOURCES:
        if source == "proxy_url":
            continue  # the setting refuses it: see test_the_setting_says_how_to_write_it
        seen = observe(*scenario(source, f"http://user:Pr0xy#1@127.0.0.1:{port}"), caplog)
        everything = "\n".join(seen.values())
        assert "Pr0xy" not in everything, source
        assert (
            f"network: proxy from {source.upper()}, unusable: it is not a valid URL"
            in (seen["stdout"])
        )
        assert (
            f"✗ could not reach Wristband's JWKS: proxy_error: JWKS: the proxy URL in "
            f"{source.upper()} is not a valid URL (with credentials: "
            "http://user:password@host:port, any of : / ? # [ ] @ % in them percent-encoded "
            "(# as %23"
        ) in seen["stderr"]
        assert "Calls to Wristband at " in seen["log"]
        assert seen["login"].startswith("503 ")
    assert demanding_proxy.targets == []  # the unusable URL was never used


@pytest.mark.parametrize("source", list(SOURCES))
def test_percent_encoded_credentials_reach_the_proxy_and_show_nowhere(
    source: str, demanding_proxy: ConnectProxy, caplog: pytest.LogCaptureFixture
) -> None:
    user, password = "corp@jqzw", "Pr0xy#1/?[]@%é"
    url = f"http://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:"
    before = len(demanding_proxy.authorizations)
    seen = observe(*scenario(source, f"{url}{demanding_proxy.port}"), caplog)
    assert f"network: proxy http://***@127.0.0.1:{demanding_proxy.port} (from " in seen["stdout"]
    assert shown([password, quote(password, safe=""), user], "\n".join(seen.values()), "") == []
    if SOURCES[source] == "https":  # a tunnel: the proxy answered 407 to the credentials
        sent = demanding_proxy.authorizations[before]
        assert sent == "Basic " + base64.b64encode(f"{user}:{password}".encode("latin-1")).decode()
        assert "give the proxy's credentials in" in seen["stderr"]


#: ``neutral_runs`` per source and proxy port, computed on first use.
BASELINES: dict[tuple[str, int], str] = {}


def neutral_runs(source: str, port: int, caplog: pytest.LogCaptureFixture) -> str:
    """Everything shown for proxy URLs of every kind (usable, and unusable for each reason)
    whose credentials are not the fuzzed ones: what the output holds anyway."""
    host = f"127.0.0.1:{port}"
    urls = [
        f"http://neutral:neutral@{host}",
        f"http://neutral:neu#tral@{host}",
        f"http://neutral:neu/tral@{host}",
        f"http://neutral:neu[tral@{host}",
        f"http://neutral:neu tral@{host}",
        f"http://neutral:neu€tral@{host}",
        f"http://neutral:neu@tral@{host}",
        f"neutral://neu@{host}",
        f"neutral:neutral@{host}",
        f"http://neutral:neutral@{host}/x",
        f"http://neutral:neutral@{host}x",
        "http://neu..tral:3128",
    ]
    return "\n".join("\n".join(observe(*scenario(source, url), caplog).values()) for url in urls)


@pytest.mark.slow
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    source=st.sampled_from(list(SOURCES)),
    scheme=st.sampled_from(["http://", ""]),
    user=st.text(userinfo_characters, max_size=8),
    password=st.text(userinfo_characters, min_size=1, max_size=16),
    percent_encoded=st.booleans(),
)
def test_fuzz_no_window_of_the_password_shows_in_the_command_log_or_page(
    demanding_proxy: ConnectProxy,
    caplog: pytest.LogCaptureFixture,
    source: str,
    scheme: str,
    user: str,
    password: str,
    percent_encoded: bool,
) -> None:
    written = quote(password, safe="") if percent_encoded else password
    user = quote(user, safe="") if percent_encoded else user
    url = f"{scheme}{user}:{written}@127.0.0.1:{demanding_proxy.port}"
    key = (source, demanding_proxy.port)
    if key not in BASELINES:
        BASELINES[key] = neutral_runs(source, demanding_proxy.port, caplog)
    seen = observe(*scenario(source, url), caplog)  # raises: a traceback
    leaks = {name: shown({password, written}, text, BASELINES[key]) for name, text in seen.items()}
    figures.count("proxy URLs tried in wristband_check, the log and the error page")
    figures.count("proxy password fragments shown", sum(map(len, leaks.values())))
    assert {name: found for name, found in leaks.items() if found} == {}
    if "settings are invalid" in seen["stderr"]:  # the setting refused it, as Django does
        assert source == "proxy_url" and seen["login"].startswith("500 ")
    else:  # the route was resolved and logged; any failure is an outage, never a crash
        assert "Calls to Wristband at " in seen["log"]
        assert seen["login"][:4] in ("503 ", "502 ")  # the proxy's 405 to a plain GET: 502


# --- a proxy variable that is not a proxy URL: a clear message, never a traceback ---------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not a url at all", "contains a space or a control character"),
        ("::::", "is not a valid URL"),
        ("http://", "must be a scheme, host and port only"),
        ("http://[::1", "is not a valid URL"),
        ("http://proxy:99999", "is not a valid URL"),
        ("http://proxy:port", "is not a valid URL"),
        ("ftp://proxy:21", "must start with http:// or https:// or socks4://"),
        ("http://proxy:3128/path", "must be a scheme, host and port only"),
        ("http://proxy:3128\n", "contains a space or a control character"),
        ("http://pro..xy:3128", "must name its host by an ASCII host name or an IP address"),
        ("http://prøxy:3128", "must name its host by an ASCII host name or an IP address"),
        (
            "http://user:pa€ss@proxy:3128",
            "has a user name or password that is not Latin-1 text once percent-decoded",
        ),
        (
            "http://user:pa%E2%82%ACss@proxy:3128",
            "has a user name or password that is not Latin-1 text once percent-decoded",
        ),
    ],
)
def test_a_variable_that_is_no_proxy_url_is_named_and_never_used(
    value: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    seen = observe(*scenario("HTTPS_PROXY", value), caplog)
    assert f"network: proxy from HTTPS_PROXY, unusable: it {reason}" in seen["stdout"]
    assert f"JWKS: proxy_error: JWKS: the proxy URL in HTTPS_PROXY {reason}" in seen["stderr"]
    assert seen["login"].startswith("503 ")
    assert "Traceback" not in "\n".join(seen.values())


def test_a_url_that_urllib3_and_python_read_differently_is_never_used(
    demanding_proxy: ConnectProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """urllib3 ends the authority at a backslash and connects to what precedes it; Python
    reads credentials up to the last ``@`` and a host after it. Used, this URL would send
    the calls to 127.0.0.1 while every message named 10.0.0.1 (and which credentials go
    where would be up to whichever parser requests asks): it is refused instead."""
    before = len(demanding_proxy.targets)
    url = f"http://127.0.0.1:{demanding_proxy.port}\\@corp:Pr0xy@10.0.0.1:3128"
    seen = observe(*scenario("HTTPS_PROXY", url), caplog)
    assert "network: proxy from HTTPS_PROXY, unusable: it is not a valid URL" in seen["stdout"]
    assert len(demanding_proxy.targets) == before  # nothing was sent anywhere
    assert "Pr0xy" not in "\n".join(seen.values())


def test_a_working_proxy_url_is_still_used(caplog: pytest.LogCaptureFixture) -> None:
    """The check refuses no URL requests can use: SOCKS, no scheme, IPv6, ``_`` in names."""
    for value, shown_as in [
        ("socks5h://user:pw@proxy_1.corp:1080", "socks5h://***@proxy_1.corp:1080"),
        ("proxy.corp:3128", "http://proxy.corp:3128"),
        ("http://[::1]:3128/", "http://[::1]:3128/"),
        ("http://us%C3%A9r:p%40ss@10.0.0.1", "http://***@10.0.0.1"),
    ]:
        with environment({"HTTPS_PROXY": value}):
            route = WristbandClient(parse_auth_config(auth_settings(http_idp=False))).route
        assert (route.proxy_problem, str(route).split(",")[0]) == (
            None,
            f"proxy {shown_as} (from HTTPS_PROXY)",
        )


@pytest.fixture
def loopback_only_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names other than localhost do not resolve, at once (no real resolver is asked)."""
    resolve = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in ("localhost", "127.0.0.1", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    value=st.one_of(
        st.text(userinfo_characters, min_size=1, max_size=40),
        st.builds(
            "{}{}".format,
            st.sampled_from(["http://", "https://", "socks5://", "ftp://", "//", ""]),
            st.text(userinfo_characters, min_size=1, max_size=30),
        ),
    )
)
def test_fuzz_any_proxy_variable_fails_as_an_outage_never_a_crash(
    loopback_only_resolver: None, value: str
) -> None:
    """Whatever ``HTTPS_PROXY`` holds, a call fails with a ``WristbandError`` (an outage:
    503), and the route's description shows none of it but a redacted proxy URL."""
    with environment({"HTTPS_PROXY": value}):
        client = WristbandClient(parse_auth_config(auth_settings(http_idp=False, call_timeout=1)))
    try:
        client.jwks()
    except WristbandError:
        pass
    finally:
        client.close()
    route = client.route
    shown_as = (
        f"proxy {redact_credentials(route.proxy or '')} (from HTTPS_PROXY)"
        if route.proxy_problem is None
        else f"proxy from HTTPS_PROXY, unusable: it {route.proxy_problem}"  # nothing of it
    )
    assert str(route) == f"{shown_as}, CA bundle: certifi's (requests' default)"


# --- the setting --------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Pr0xy#1", "pa/ss", "pa?ss", "pa[ss", "pa€ss", "pa ss"])
def test_the_setting_says_how_to_write_it(password: str) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_auth_config(auth_settings(http_idp=False, proxy_url=f"http://u:{password}@p:3128"))
    message = str(refused.value)
    assert message.startswith('WRISTBAND_AUTH["proxy_url"] ')
    assert "percent-encoded (# as %23, @ as %40, / as %2F)" in message
    assert password not in message
    encoded = f"http://u:{quote(password, safe='')}@p:3128"
    if password != "pa€ss":  # Latin-1 only, as requests sends credentials
        assert parse_auth_config(auth_settings(http_idp=False, proxy_url=encoded)).proxy_url
