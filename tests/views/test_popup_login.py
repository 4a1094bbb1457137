"""Popup login: ``popup=1`` on the Login endpoint, and the page the login ends on
(``popup-done/``), which tells the window that opened the popup and closes, else goes on to the
return URL. The page's behaviour in a browser: tests/docs/test_browser_popup.py.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import django
import pytest
from django.test import Client, RequestFactory
from django.urls import resolve

import wristband_django
from tests.support.auth_helpers import login_cookies
from wristband_django.flows import login_state
from wristband_django.testing import FakeWristband
from wristband_django.web.popup_done import PopupDoneView

pytestmark = pytest.mark.usefixtures("wristband")

PAGE = "/auth/popup-done/"
PACKAGE = Path(wristband_django.__file__).parent
COOP = "Cross-Origin-Opener-Policy"


def stored_return_url(response: Any, fake: FakeWristband) -> str | None:
    """The return URL in the login state the Login endpoint's ``response`` set."""
    ((name, morsel),) = login_cookies(response).items()
    stored = login_state.decrypt(morsel.value, name, (fake.client_secret,))
    assert stored is not None
    return stored.return_url


def data_of(response: Any) -> dict[str, str]:
    """The popup page's ``data-*`` attributes (what its script reads), unescaped."""
    found = re.findall(r'data-([a-z-]+)="([^"]*)"', response.content.decode())
    return {name: html.unescape(value) for name, value in found}


def callback(client: Client, fake: FakeWristband, login: Any, **failure: str) -> Any:
    """The Callback endpoint's answer after the fake Wristband's login (or ``failure``)."""
    return client.get(fake.authorize(login["Location"], "member@acme.test", **failure))


# --- the Login endpoint's popup=1 -----------------------------------------------------------


def test_a_popup_login_ends_on_the_popup_page_which_tells_the_opener(
    client: Client, wristband: FakeWristband
) -> None:
    login = client.get("/auth/login/?tenant_name=acme&popup=1&return_url=/spa/%3Fx%3D1")
    assert login.status_code == 302
    popup_page = f"{PAGE}?return_url=%2Fspa%2F%3Fx%3D1"
    assert stored_return_url(login, wristband) == popup_page
    assert login[COOP] == "unsafe-none"  # every answer of a popup login keeps its opener

    back = callback(client, wristband, login)
    assert (back.status_code, back["Location"]) == (302, popup_page)
    assert back[COOP] == "unsafe-none"

    page = client.get(back["Location"])
    assert page.status_code == 200
    assert data_of(page) == {
        "target-origin": "http://testserver",
        "message-type": "login_success",
        "error": "",
        "return-url": "/spa/?x=1",
    }
    assert page[COOP] == "unsafe-none"
    assert "You are logged in" in page.content.decode()
    assert client.get("/auth/session/").json()["userId"] == "usr_acme_member"


def test_a_login_without_popup_is_as_before(client: Client, wristband: FakeWristband) -> None:
    login = client.get("/auth/login/?tenant_name=acme&return_url=/spa/")
    assert stored_return_url(login, wristband) == "/spa/"
    assert COOP not in login  # the suite's settings have no SecurityMiddleware: none at all
    back = callback(client, wristband, login)
    assert back["Location"] == "/spa/" and COOP not in back


def test_a_popup_login_stays_one_through_wristbands_tenant_discovery(
    client: Client, wristband: FakeWristband
) -> None:
    login = client.get("/auth/login/?popup=1&return_url=/spa/")  # no tenant named
    assert login.status_code == 302 and login[COOP] == "unsafe-none"
    discovery = urlsplit(login["Location"])
    assert discovery.port == wristband.port and discovery.path == "/login"
    (state,) = parse_qs(discovery.query)["state"]
    assert state == f"{PAGE}?return_url=%2Fspa%2F"

    # Wristband sends the browser back to the Login endpoint with the tenant and the state.
    again = client.get(f"/auth/login/?tenant_domain=acme&state={quote(state)}")
    assert again.status_code == 302 and again[COOP] == "unsafe-none"
    assert stored_return_url(again, wristband) == state  # not wrapped twice
    back = callback(client, wristband, again)
    assert back["Location"] == state and back[COOP] == "unsafe-none"


def test_popup_values_other_than_1_are_ignored_with_a_warning(
    client: Client, wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="wristband_django"):
        login = client.get("/auth/login/?tenant_name=acme&popup=true&return_url=/spa/")
    assert login.status_code == 302
    assert stored_return_url(login, wristband) == "/spa/" and COOP not in login
    assert "only popup=1 asks for it" in caplog.text


@pytest.mark.wristband_settings(return_url_max_length=60)
def test_a_return_url_that_does_not_fit_beside_the_popup_page_is_left_out(
    client: Client, wristband: FakeWristband
) -> None:
    long = "/" + "a" * 49  # 50 characters: it fits alone, not inside the popup page's URL
    login = client.get(f"/auth/login/?tenant_name=acme&popup=1&return_url={long}")
    assert stored_return_url(login, wristband) == PAGE  # the page then uses default_return_url


def test_a_return_url_the_login_endpoint_refuses_is_dropped_before_the_popup_page(
    client: Client, wristband: FakeWristband
) -> None:
    login = client.get("/auth/login/?tenant_name=acme&popup=1&return_url=https://evil.test/")
    assert stored_return_url(login, wristband) == PAGE


def test_a_silent_popup_login_that_finds_no_wristband_session_tells_the_opener_so(
    client: Client, wristband: FakeWristband
) -> None:
    login = client.get("/auth/login/?tenant_name=acme&popup=1&prompt=none&return_url=/spa/")
    back = callback(client, wristband, login, error="login_required")
    assert back["Location"] == f"{PAGE}?return_url=%2Fspa%2F&wristband_login=none"
    assert back[COOP] == "unsafe-none"
    page = client.get(back["Location"])
    assert data_of(page) == {
        "target-origin": "http://testserver",
        "message-type": "login_failure",
        "error": "login_required",
        "return-url": "/spa/?wristband_login=none",  # as the same login without a popup
    }
    assert "You are not logged in" in page.content.decode()


def test_a_failed_popup_login_shows_the_error_page_in_the_popup(
    client: Client, wristband: FakeWristband
) -> None:
    login = client.get("/auth/login/?tenant_name=acme&popup=1&return_url=/spa/")
    back = callback(client, wristband, login, error="access_denied")
    assert back.status_code == 400
    assert "We could not log you in" in back.content.decode()
    assert back[COOP] == "unsafe-none"  # the opener sees the popup closed when the user does
    assert client.get("/auth/session/").status_code == 401


# --- the popup page -------------------------------------------------------------------------


def test_the_page_is_never_cached_and_exempt_from_login_required() -> None:
    page = Client().get(f"{PAGE}?return_url=/spa/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    assert resolve(PAGE).func.login_required is False  # type: ignore[attr-defined]


@pytest.mark.skipif(django.VERSION < (5, 1), reason="LoginRequiredMiddleware is Django 5.1's")
def test_under_login_required_middleware_the_page_needs_no_login(settings: Any) -> None:
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]
    assert Client().get("/page/").status_code == 302  # the middleware is on
    assert Client().get(PAGE).status_code == 200


@pytest.mark.parametrize(
    ("host", "extra", "origin"),
    [
        ("testserver", {}, "http://testserver"),
        (
            "App.Example.com:8443",
            {"HTTP_X_FORWARDED_PROTO": "https"},
            "https://app.example.com:8443",
        ),
        ("app.example.com", {"HTTP_X_FORWARDED_HOST": "evil.test"}, "http://app.example.com"),
    ],
)
def test_the_target_origin_is_the_requests_as_django_validates_it(
    settings: Any, host: str, extra: dict[str, str], origin: str
) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "app.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    query = "?origin=https://evil.test&target_origin=https://evil.test&targetOrigin=*"
    page = Client().get(f"{PAGE}{query}", HTTP_HOST=host, **extra)  # named in the URL: unheard
    assert data_of(page)["target-origin"] == origin


def test_a_host_django_does_not_allow_gets_no_page(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["app.example.com"]
    page = Client().get(PAGE, HTTP_HOST="evil.test")
    assert page.status_code == 400 and b"wristband-popup-done" not in page.content


@pytest.mark.wristband_settings(
    default_return_url="/home/", allowed_return_url_hosts=["app.example.com"]
)
@pytest.mark.parametrize(
    ("return_url", "landing"),
    [
        ("/spa/?x=1", "/spa/?x=1"),
        ("https://app.example.com/orders", "https://app.example.com/orders"),
        ("https://evil.test/", "/home/"),
        ("javascript:alert(1)", "/home/"),
        ("//evil.test/", "/home/"),
        (None, "/home/"),
    ],
)
def test_without_an_opener_the_page_goes_where_the_login_endpoint_would(
    return_url: str | None, landing: str
) -> None:
    query = f"?return_url={quote(return_url)}" if return_url is not None else ""
    page = Client().get(f"{PAGE}{query}")
    assert data_of(page)["return-url"] == landing
    assert f'id="continue" href="{html.escape(landing)}"' in page.content.decode()


def test_a_parameter_given_twice_is_refused() -> None:
    page = Client().get(f"{PAGE}?return_url=/a/&return_url=/b/")
    assert page.status_code == 400 and b"wristband-popup-done" not in page.content


# --- the page's script under a Content Security Policy --------------------------------------

SCRIPT = (PACKAGE / "static" / "wristband_django" / "popup_done.js").read_text()


def scripts_of(response: Any) -> list[str]:
    return re.findall(r"<script[^>]*>", response.content.decode())


def test_with_static_files_the_script_is_the_static_file(settings: Any) -> None:
    settings.STATIC_URL = "/static/"
    page = PopupDoneView.as_view()(RequestFactory().get(PAGE))
    assert scripts_of(page) == ['<script src="/static/wristband_django/popup_done.js">']
    assert "postMessage" not in page.content.decode()  # nothing inline


def test_without_static_files_the_script_is_inline_with_the_requests_nonce(settings: Any) -> None:
    settings.STATIC_URL = None
    request = RequestFactory().get(PAGE)
    request.csp_nonce = "n0nce-of-this-request"  # type: ignore[attr-defined]  # django-csp's
    page = PopupDoneView.as_view()(request)
    assert scripts_of(page) == ['<script nonce="n0nce-of-this-request">']
    assert SCRIPT in page.content.decode()


def test_the_inline_script_is_the_static_one() -> None:
    template = PACKAGE / "templates" / "wristband_django" / "popup_done.js"
    assert template.read_text() == SCRIPT
    assert "{{" not in SCRIPT and "{%" not in SCRIPT  # the template engine leaves it as is
    assert re.findall(r"postMessage\(([^)]*)\)", SCRIPT) == ["message, data.targetOrigin"]
