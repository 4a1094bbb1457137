"""No login loops, whatever Wristband answers (issue 22, point 6).

A browser follows every redirect hop by hop, as a real one does: this app through Django's
test client (its cookies kept), the fake Wristband through a ``FakeBrowser`` (which keeps
Wristband's own session, so each authorize answers at once, without a page). Wristband then
answers every attempt the same failing way. The dimension that let the loop through is the
kind of failure that restarts a login; it is enumerated, crossed with the login's
``prompt``/``max_age`` and the tenant mode. Each login must end after at most
``MAX_RESTARTS + 1`` authorize → callback → login round trips, on a 4xx page whose next
step is a new login that asks for credentials (never ``prompt=none``, never another count).
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.support.auth_helpers import query_of
from tests.support.fuzzing import fuzz
from wristband_django.flows.login_restarts import MAX_RESTARTS, PARAMETER
from wristband_django.testing import FakeTenant, FakeWristband
from wristband_django.testing.browser_protocol import AUTHORIZE_PATH, ERROR_HEADER, USER_HEADER
from wristband_django.testing.fake_browser import FakeBrowser

TENANTS = [FakeTenant("acme"), FakeTenant("globex")]
SUBDOMAINS = {
    "login_url": "http://{tenant_name}.testserver/auth/login/",
    "redirect_uri": "http://{tenant_name}.testserver/auth/callback/",
    "login_url_tenant_domain_suffix": "testserver",
}
#: Far more hops than any bounded login takes: reaching it is a loop.
MAX_HOPS = 60
USER = "member@acme.test"


@dataclass
class Trip:
    """Where one login went: every hop's kind, and the answer it ended on."""

    hops: list[str] = field(default_factory=list)
    status: int = 0
    location: str | None = None
    body: str = ""

    @property
    def round_trips(self) -> int:
        """Authorize → callback round trips."""
        return Counter(self.hops)["callback"]


@dataclass
class Browser:
    """A browser that follows redirects itself, across this app and the fake Wristband.

    ``authorize_headers``: what Wristband is made to answer each time (the fake's
    controls); ``rewrite_callback``: the callback URL as Wristband sends it; ``loses_cookies``:
    a browser that never sends the login-state cookie back (a ``Secure`` cookie on http).
    """

    fake: FakeWristband
    app: Client
    wristband: FakeBrowser
    authorize_headers: dict[str, str] = field(default_factory=dict)
    rewrite_callback: Callable[[str], str] = lambda url: url
    loses_cookies: bool = False

    def open(self, url: str) -> Trip:
        trip = Trip()
        while len(trip.hops) < MAX_HOPS:
            parts = urlsplit(url)
            if parts.port == self.fake.port:  # Wristband
                status, location, body = self._at_wristband(url)
                trip.hops.append("authorize" if parts.path == AUTHORIZE_PATH else parts.path)
            else:
                status, location, body = self._at_app(url, trip)
            trip.status, trip.location, trip.body = status, location, body
            if status != 302 or location is None or not self._follows(location):
                return trip
            url = location
        raise AssertionError(f"a login loop: {Counter(trip.hops)} after {MAX_HOPS} hops")

    def _follows(self, location: str) -> bool:
        """Auth endpoints and Wristband are followed; the app's own pages end the trip."""
        parts = urlsplit(location)
        return parts.port == self.fake.port or parts.path.startswith("/auth/")

    def _at_wristband(self, url: str) -> tuple[int, str | None, str]:
        status, location, body = self.wristband.visit(url, self.authorize_headers)
        if status == 200 and urlsplit(url).path == AUTHORIZE_PATH:  # its login page:
            status, location, body = self.wristband.visit(url, {USER_HEADER: quote(USER)})
        if status == 302 and location and "/auth/callback/" in location:
            location = self.rewrite_callback(location)
        return status, location, body

    def _at_app(self, url: str, trip: Trip) -> tuple[int, str | None, str]:
        parts = urlsplit(url)
        kind = "callback" if parts.path.endswith("/callback/") else parts.path
        trip.hops.append("login" if parts.path.endswith("/login/") else kind)
        if kind == "callback" and self.loses_cookies:
            for name in [name for name in self.app.cookies if name.startswith("login#")]:
                del self.app.cookies[name]
        host = parts.netloc or "testserver"
        response = self.app.get(f"{parts.path}?{parts.query}", HTTP_HOST=host)
        location = response.get("Location")
        if location and location.startswith("/"):
            location = f"http://{host}{location}"
        return response.status_code, location, response.content.decode()


def signed_in_browser(fake: FakeWristband, host: str = "testserver", **options: Any) -> Browser:
    """A browser whose user signed in at Wristband (and to this app) earlier: Wristband now
    answers its authorize requests at once, without a page."""
    browser = Browser(fake, Client(), fake.new_browser(), **options)
    plain = Browser(fake, Client(), browser.wristband)
    first = plain.open(f"http://{host}/auth/login/?tenant_name=acme")
    assert first.round_trips == 1 and first.status == 302, first
    fake.reset_records()
    return browser


def with_params(url: str, **changes: str | None) -> str:
    params = {**query_of(url), **changes}
    kept = {key: value for key, value in params.items() if value is not None}
    return url.split("?")[0] + "?" + urlencode(kept)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def other_host(url: str) -> str:
    return url.replace("//acme.testserver/", "//globex.testserver/")


def refuse_every_code(fake: FakeWristband) -> dict[str, Any]:
    fake.inject(
        "token",
        status=400,
        json={"error": "invalid_grant", "error_description": "code reused"},
        times=None,
        grant_type="authorization_code",
    )
    return {}


#: The failures whose answer is a restart, each made to happen on every attempt: the
#: fake's controls, or the callback URL as Wristband sends it. Returns the browser's options.
RESTARTING: dict[str, Callable[[FakeWristband], dict[str, Any]]] = {
    "invalid_grant": refuse_every_code,
    "login_required": lambda fake: {"authorize_headers": {ERROR_HEADER: "login_required"}},
    "missing_code": lambda fake: {"rewrite_callback": lambda url: with_params(url, code=None)},
    "state_mangled": lambda fake: {
        "rewrite_callback": lambda url: with_params(url, state="the-same-state-every-time")
    },
    "other_tenant": lambda fake: {
        "rewrite_callback": lambda url: with_params(url, tenant_name="globex")
    },
    "login_state_lost": lambda fake: {"loses_cookies": True},
}
LOGINS = {
    "plain": "",
    "prompt_none": "&prompt=none",
    "prompt_login": "&prompt=login",
    "max_age": "&max_age=300",
}


def assert_ends_on_the_error_page_with_a_new_login(trip: Trip, fake: FakeWristband) -> str:
    """Checks the trip, and returns the error page's link to log in again."""
    assert trip.round_trips == MAX_RESTARTS + 1, trip.hops
    assert Counter(trip.hops)["login"] == MAX_RESTARTS + 1  # the first and each restart
    assert 400 <= trip.status < 500, trip.status
    assert "We could not log you in" in trip.body
    assert f"restarted {MAX_RESTARTS} times" in trip.body
    (retry,) = [
        unescape(link.split('"')[1])
        for link in trip.body.split("<a href=")[1:]
        if "/auth/login/" in link
    ]
    assert query_of(retry).get("prompt") == "login"  # credentials, not another silent try
    assert PARAMETER not in query_of(retry)  # a new login: it may restart again
    assert len(fake.calls("token", grant_type="authorization_code")) <= MAX_RESTARTS + 1
    return retry


@pytest.mark.fake_wristband(tenants=TENANTS)
@pytest.mark.parametrize("login", list(LOGINS))
@pytest.mark.parametrize("failure", list(RESTARTING))
def test_a_login_that_keeps_failing_ends_on_the_error_page(
    wristband: FakeWristband, failure: str, login: str
) -> None:
    browser = signed_in_browser(wristband)
    for name, value in RESTARTING[failure](wristband).items():
        setattr(browser, name, value)
    trip = browser.open(
        f"http://testserver/auth/login/?tenant_name=acme&return_url=/x{LOGINS[login]}"
    )
    if failure == "login_required" and login == "prompt_none":
        # A silent login without Wristband's consent is over at once: not logged in.
        assert trip.round_trips == 1 and trip.location == "http://testserver/x?wristband_login=none"
        return
    retry_url = assert_ends_on_the_error_page_with_a_new_login(trip, wristband)
    retry = browser.open(retry_url)  # the user takes the next step: bounded too
    assert retry.round_trips == MAX_RESTARTS + 1 and 400 <= retry.status < 500


@pytest.mark.fake_wristband(tenants=TENANTS, **SUBDOMAINS)
@pytest.mark.parametrize("failure", [*RESTARTING, "other_host"])
def test_with_tenant_subdomains_too(wristband: FakeWristband, failure: str) -> None:
    browser = signed_in_browser(wristband, host="acme.testserver")
    if failure == "other_host":
        browser.rewrite_callback = other_host
    else:
        for name, value in RESTARTING[failure](wristband).items():
            setattr(browser, name, value)
    trip = browser.open("http://acme.testserver/auth/login/?return_url=/x")
    assert_ends_on_the_error_page_with_a_new_login(trip, wristband)


@pytest.mark.fake_wristband(tenants=TENANTS)
@pytest.mark.parametrize(
    ("failure", "status"),
    [
        ("max_age_stale", 400),
        ("access_denied", 400),
        ("id_token_invalid", 400),
        ("issuer_mixup", 400),
        ("token_endpoint_down", 503),
    ],
)
def test_failures_that_never_restart_end_after_one_round_trip(
    wristband: FakeWristband, failure: str, status: int
) -> None:
    browser = signed_in_browser(wristband)
    query = "tenant_name=acme&return_url=/x"
    if failure == "max_age_stale":
        wristband.override_id_token(claims={"auth_time": 1_000_000})
        query += "&max_age=300"
    elif failure == "access_denied":
        browser.authorize_headers = {ERROR_HEADER: "access_denied"}
    elif failure == "id_token_invalid":
        wristband.override_id_token(alg="none")
    elif failure == "issuer_mixup":
        browser.rewrite_callback = lambda url: with_params(url, iss="https://evil.example")
    else:
        wristband.inject("token", status=502, times=None, grant_type="authorization_code")
    trip = browser.open(f"http://testserver/auth/login/?{query}")
    assert trip.round_trips == 1 and trip.status == status, trip


@pytest.mark.fake_wristband(tenants=TENANTS)
def test_a_restart_count_cannot_be_forged(wristband: FakeWristband) -> None:
    """The ``restart`` parameter is sealed: a written one counts as a new login."""
    browser = signed_in_browser(wristband)
    browser.rewrite_callback = lambda url: with_params(url, code=None)
    for forged in ("2", "9", "AAAA", "x" * 500):
        trip = browser.open(f"http://testserver/auth/login/?tenant_name=acme&{PARAMETER}={forged}")
        assert trip.round_trips == MAX_RESTARTS + 1, (forged, trip.hops)


@fuzz
@given(forged=st.text(max_size=120) | st.binary(max_size=90).map(lambda raw: b64(raw)))
def test_any_restart_parameter_is_a_new_login_or_a_400_never_a_500(
    wristband: FakeWristband, forged: str
) -> None:
    """Text, and base64 of any bytes (shaped like a sealed count): never a count."""
    response = Client(raise_request_exception=False).get(
        "/auth/login/", {"tenant_name": "acme", PARAMETER: forged}
    )
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert "." not in query_of(response["Location"])["state"]  # restarted 0 times
