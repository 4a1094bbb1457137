"""Application-level login (issue 26, point 1): a login that names no tenant goes to
Wristband's authorize endpoint on the application vanity domain with its login state, the
user picks the tenant at Wristband, and the login completes for the tenant Wristband chose,
confirmed before the session keeps its name; logout goes to that tenant's host, or back to
the Login endpoint when no tenant was confirmed. The fake plays Wristband's side whole."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client

from tests.support.auth_helpers import login_cookies, query_of, start_login, stored_entry
from wristband_django import testing
from wristband_django.flows import login_state
from wristband_django.testing import FakeTenant, FakeWristband

pytestmark = pytest.mark.usefixtures("wristband")

ON = {"application_authorization_requests_enabled": True}
SUBDOMAINS = {
    "login_url": "http://{tenant_name}.testserver/auth/login/",
    "redirect_uri": "http://{tenant_name}.testserver/auth/callback/",
    "login_url_tenant_domain_suffix": "testserver",
}


def follow(client: Client, url: str, **extra: Any) -> Any:
    """GET ``url`` (a redirect's Location) at the app, on its host when it names one."""
    parts = urlsplit(url)
    host = {"HTTP_HOST": parts.netloc} if parts.netloc else {}
    return client.get(f"{parts.path}?{parts.query}", **{**host, **extra})


def tenant_hosts_seen(fake: FakeWristband) -> list[str]:
    """The hosts of the authorize requests the fake received, in order."""
    return [request.host for request in fake.calls("authorize")]


@pytest.mark.fake_wristband(**ON)
def test_a_login_without_a_tenant_goes_to_the_application_authorize_endpoint_with_its_state(
    client: Client, wristband: FakeWristband
) -> None:
    response = start_login(client, "return_url=/reports&max_age=300&login_hint=a%40b.c")
    url = urlsplit(response["Location"])
    assert (url.netloc, url.path) == (wristband.vanity_domain, "/api/v1/oauth2/authorize")
    params = query_of(response["Location"])
    assert params["client_id"] == wristband.client_id
    assert params["redirect_uri"] == "http://testserver/auth/callback/"
    assert params["code_challenge_method"] == "S256" and params["max_age"] == "300"
    assert params["login_hint"] == "a@b.c"
    ((name, morsel),) = login_cookies(response).items()
    assert morsel["domain"] == ""  # the host's own cookie: the callback comes back here
    stored = login_state.decrypt(morsel.value, name, (wristband.client_secret,))
    assert stored is not None and stored.is_application_level
    assert (stored.tenant_name, stored.tenant_custom_domain) == (None, None)
    assert (stored.state, stored.nonce) == (params["state"], params["nonce"])
    assert stored.return_url == "/reports" and stored.max_age == 300


def test_without_the_setting_a_login_without_a_tenant_goes_to_the_application_login_page(
    client: Client, wristband: FakeWristband
) -> None:
    response = start_login(client, "return_url=/reports")
    assert response["Location"] == (
        f"{wristband.base_url}/login?client_id={wristband.client_id}&state=%2Freports"
    )
    assert not login_cookies(response)


@pytest.mark.parametrize(
    ("setting", "wristband_says", "application_level"),
    [(None, True, True), (None, False, False), (False, True, False), (True, False, True)],
    ids=["auto-on", "auto-off", "setting-off-wins", "setting-on-wins"],
)
def test_auto_configuration_sets_it_and_a_setting_wins(
    client: Client,
    wristband: FakeWristband,
    settings: Any,
    setting: bool | None,
    wristband_says: bool,
    application_level: bool,
) -> None:
    wristband.settings.application_authorization_requests_enabled = wristband_says
    keys = {} if setting is None else {"application_authorization_requests_enabled": setting}
    settings.WRISTBAND_AUTH = wristband.auth_settings(**keys)
    url = urlsplit(start_login(client, "")["Location"])
    assert wristband.calls("sdk_configuration") and url.netloc == wristband.vanity_domain
    assert url.path == ("/api/v1/oauth2/authorize" if application_level else "/login")
    assert urlsplit(start_login(client, "tenant_name=acme")["Location"]).netloc == (
        wristband.tenant_host("acme")  # a named tenant: a tenant-level login either way
    )


def test_a_project_that_sets_every_other_value_asks_wristband_nothing_for_it(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    """The field is read from auto-configuration only when it runs for another value: a
    project that configured everything by hand keeps needing no call at startup."""
    wristband.settings.application_authorization_requests_enabled = True
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        is_application_custom_domain_active=True,
        custom_application_login_page_url="http://testserver/choose/",
        **SUBDOMAINS,
        parse_tenant_from_root_domain="testserver",
    )
    settings.WRISTBAND_AUTH.pop("login_url_tenant_domain_suffix")
    response = start_login(client, "")
    assert response["Location"] == f"http://testserver/choose/?client_id={wristband.client_id}"
    assert not wristband.calls("sdk_configuration")


@pytest.mark.fake_wristband(**ON)
def test_the_first_login_to_a_tenant_confirms_it_and_the_next_completes_at_once(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "return_url=/reports")
    callback = wristband.authorize(started["Location"], "member@globex.test")
    assert query_of(callback)["tenant_name"] == "globex"  # Wristband's choice, unsigned
    first = follow(client, callback)
    # Logged in for the signed tnt_id, the tenant not kept yet: a tenant-level login for it.
    assert (
        first["Location"]
        == "http://testserver/auth/login/?tenant_name=globex&return_url=%2Freports"
    )
    entry = stored_entry(client)
    assert entry is not None and entry.tenant_id == "tnt_globex"
    assert (entry.tenant_name, entry.tenant_custom_domain) == (None, None)
    confirming = follow(client, first["Location"])
    assert urlsplit(confirming["Location"]).netloc == wristband.tenant_host("globex")
    done = follow(client, wristband.authorize(confirming["Location"], "member@globex.test"))
    assert done["Location"] == "/reports"
    entry = stored_entry(client)
    assert entry is not None and (entry.tenant_name, entry.tenant_id) == ("globex", "tnt_globex")
    assert client.get("/auth/session/").json()["metadata"]["tenant_name"] == "globex"

    seen = len(wristband.calls("authorize"))
    other = Client()  # another browser, the same tenant: the directory confirms it now
    started = start_login(other, "return_url=/again")
    callback = wristband.authorize(started["Location"], "admin@globex.test")
    assert follow(other, callback)["Location"] == "/again"
    assert tenant_hosts_seen(wristband)[seen:] == [
        wristband.vanity_domain,
        wristband.tenant_host("globex"),
    ]


@pytest.mark.fake_wristband(**ON)
def test_a_tenant_this_site_confirmed_completes_in_one_round_trip(
    client: Client, wristband: FakeWristband
) -> None:
    testing.log_in(Client(), wristband, "admin@globex.test")  # a tenant-level login to globex
    started = start_login(client, "return_url=/reports")
    callback = wristband.authorize(started["Location"], "member@globex.test")
    assert follow(client, callback)["Location"] == "/reports"
    entry = stored_entry(client)
    assert entry is not None and (entry.tenant_name, entry.tenant_id) == ("globex", "tnt_globex")
    assert tenant_hosts_seen(wristband)[-2:] == [
        wristband.vanity_domain,
        wristband.tenant_host("globex"),
    ]


@pytest.mark.fake_wristband(**ON)
def test_testing_log_in_goes_through_tenant_discovery(
    client: Client, wristband: FakeWristband
) -> None:
    first = testing.log_in(client, wristband, "member@acme.test", query="return_url=/first")
    again = testing.log_in(Client(), wristband, "admin@acme.test", query="return_url=/again")
    assert (first["Location"], again["Location"]) == ("/first", "/again")
    entry = stored_entry(client)
    assert entry is not None and (entry.tenant_name, entry.tenant_id) == ("acme", "tnt_acme")


@pytest.mark.fake_wristband(**ON)
def test_prompt_none_without_a_tenant_is_not_logged_in_at_once(
    client: Client, wristband: FakeWristband
) -> None:
    response = start_login(client, "prompt=none&return_url=/home")
    assert response["Location"] == "/home?wristband_login=none"
    assert not wristband.calls("authorize") and not login_cookies(response)


@pytest.mark.fake_wristband(**ON)
def test_logout_goes_to_the_confirmed_tenants_host(
    client: Client, wristband: FakeWristband
) -> None:
    testing.log_in(client, wristband, "member@globex.test", query="")
    logout = urlsplit(client.post("/auth/logout/")["Location"])
    assert (logout.netloc, logout.path) == (wristband.tenant_host("globex"), "/api/v1/logout")


@pytest.mark.fake_wristband(**ON)
@pytest.mark.parametrize(
    ("logout_redirect_url", "landing"),
    [(None, "http://testserver/auth/login/"), ("http://testserver/bye/", "http://testserver/bye/")],
    ids=["login-endpoint", "logout-redirect-url"],
)
def test_logout_without_a_confirmed_tenant_goes_back_to_the_login_endpoint(
    client: Client,
    wristband: FakeWristband,
    settings: Any,
    logout_redirect_url: str | None,
    landing: str,
) -> None:
    settings.WRISTBAND_AUTH = {
        **settings.WRISTBAND_AUTH,
        "logout_redirect_url": logout_redirect_url,
    }
    started = start_login(client, "")
    callback = wristband.authorize(started["Location"], "member@globex.test")
    follow(client, callback)  # stops before the tenant-level login that would confirm it
    entry = stored_entry(client)
    assert entry is not None and entry.tenant_name is None
    response = client.post("/auth/logout/?tenant_name=globex")  # no host from the request
    assert response["Location"] == landing
    assert stored_entry(client) is None and not wristband.calls("logout")


@pytest.mark.fake_wristband(**ON)
def test_logout_without_a_session_goes_back_to_the_login_endpoint(
    client: Client, wristband: FakeWristband
) -> None:
    assert client.post("/auth/logout/")["Location"] == "http://testserver/auth/login/"


@pytest.mark.wristband_settings(application_authorization_requests_enabled=True)
def test_when_wristband_refuses_application_level_requests_the_error_page_says_so(
    client: Client, wristband: FakeWristband
) -> None:
    """The setting is on, the Wristband application does not accept them: Wristband sends
    the browser back with ``error=invalid_request``, which the error page shows."""
    started = start_login(client, "")
    callback = wristband.authorize(started["Location"], "member@globex.test")
    assert query_of(callback)["error"] == "invalid_request"
    response = follow(client, callback)
    assert response.status_code == 400
    assert "Application-level authorization requests are not enabled" in response.content.decode()
    assert stored_entry(client) is None and not wristband.calls("token")


@pytest.mark.fake_wristband(**ON)
def test_the_fake_shows_tenant_discovery_then_the_chosen_tenants_authorize_endpoint(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "return_url=/reports")
    browser = wristband.new_browser()
    status, _, page = browser.visit(started["Location"])
    assert status == 200 and "Choose your tenant" in page
    acme = f"http://{wristband.tenant_host('acme')}/api/v1/oauth2/authorize?"
    assert acme in page.replace("&amp;", "&")
    assert f"state={quote(query_of(started['Location'])['state'], safe='')}" in page
    callback = browser.authorize(started["Location"], "admin@acme.test")
    assert follow(client, callback)["Location"].startswith("http://testserver/auth/login/")


@pytest.mark.fake_wristband(tenants=[FakeTenant("acme"), FakeTenant("globex")], **ON, **SUBDOMAINS)
def test_with_tenant_subdomains_the_login_starts_on_the_root_and_ends_on_the_tenants_host(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "return_url=/reports", HTTP_HOST="testserver")
    params = query_of(started["Location"])
    assert params["redirect_uri"] == "http://{tenant_name}.testserver/auth/callback/"
    ((name, morsel),) = login_cookies(started).items()
    assert morsel["domain"] == "testserver"  # the callback comes back on a subdomain
    callback = wristband.authorize(started["Location"], "member@globex.test")
    assert urlsplit(callback).netloc == "globex.testserver"  # Wristband filled it in
    first = follow(client, callback)
    assert login_cookies(first)[name]["domain"] == "testserver"  # cleared where it was set
    assert first["Location"] == "http://globex.testserver/auth/login/?return_url=%2Freports"
    confirming = follow(client, first["Location"])
    assert query_of(confirming["Location"])["redirect_uri"] == (
        "http://globex.testserver/auth/callback/"
    )
    done = follow(client, wristband.authorize(confirming["Location"], "member@globex.test"))
    assert done["Location"] == "/reports"
    entry = stored_entry(client)
    assert entry is not None and (entry.tenant_name, entry.tenant_id) == ("globex", "tnt_globex")
    session = client.get("/auth/session/", HTTP_HOST="globex.testserver")
    assert session.json()["tenantId"] == "tnt_globex"
    logout = client.post("/auth/logout/", HTTP_HOST="globex.testserver")
    assert urlsplit(logout["Location"]).netloc == wristband.tenant_host("globex")


@pytest.mark.fake_wristband(**ON, **SUBDOMAINS)
def test_with_tenant_subdomains_logout_without_a_tenant_goes_to_the_roots_login_endpoint(
    client: Client, wristband: FakeWristband
) -> None:
    assert client.post("/auth/logout/", HTTP_HOST="testserver")["Location"] == (
        "http://testserver/auth/login/"
    )


@pytest.mark.fake_wristband(**ON, **SUBDOMAINS)
def test_in_debug_a_login_from_the_root_to_tenant_discovery_is_sent_on_without_a_warning(
    client: Client, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The redirect URI keeps its ``{tenant_name}``: no origin to compare with the root's, so
    the DEBUG page for a login started on another origin must not stand in the way."""
    settings.DEBUG = True
    started = start_login(client, "return_url=/reports", HTTP_HOST="testserver")
    assert started.status_code == 302
    assert "/api/v1/oauth2/authorize" in started["Location"]
    assert "would not come back" not in caplog.text
