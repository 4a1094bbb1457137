"""Tenant integrity on the application-level path (issue 26, point 1).

An application-level login's login state binds no tenant: Wristband picks it, and the
callback names it in unsigned parameters (and, with tenant subdomains, in its host). Only the
tokens' ``tnt_id`` is signed. So the session's tenant id is the signed one, and its tenant
name or custom domain is kept only once confirmed for that id (a tenant-level login to that
tenant's Wristband host, now or before). These tests edit the callback's tenant parameters
and host against the signed ``tnt_id`` and play every step an acme user can play after that:
no session, no tenant directory entry and no logout host may ever pair another tenant's name
or custom domain with acme's id, and nothing answers 500.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.cache import caches
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.support import figures
from tests.support.auth_helpers import query_of, stored_entry
from tests.support.fuzzing import fuzz
from wristband_django import testing
from wristband_django.store import tenant_directory
from wristband_django.testing import FakeTenant, FakeWristband

TENANTS = [
    FakeTenant("acme", custom_domain="login.acme.test"),
    FakeTenant("globex", custom_domain="login.globex.test"),
]
ACME = TENANTS[0]
ON = {"application_authorization_requests_enabled": True}
ALLOW_LISTED = {"tenant_custom_domains": ["login.acme.test", "login.globex.test"]}
SUBDOMAINS = {
    "login_url": "http://{tenant_name}.testserver/auth/login/",
    "redirect_uri": "http://{tenant_name}.testserver/auth/callback/",
    "login_url_tenant_domain_suffix": "testserver",
}
#: The callback's tenant parameters as an attacker (the acme user themself) may edit them.
TAMPERED: dict[str, dict[str, str | None]] = {
    "another tenant's name": {"tenant_name": "globex"},
    "the legacy name only": {"tenant_name": None, "tenant_domain": "globex"},
    "two names that differ": {"tenant_name": "acme", "tenant_domain": "globex"},
    "another tenant's custom domain": {
        "tenant_name": None,
        "tenant_custom_domain": "login.globex.test",
    },
    "both parameters, another tenant": {
        "tenant_name": "globex",
        "tenant_custom_domain": "login.globex.test",
    },
    "its own name, another's domain": {
        "tenant_name": "acme",
        "tenant_custom_domain": "login.globex.test",
    },
    "another's name, its own domain": {
        "tenant_name": "globex",
        "tenant_custom_domain": "login.acme.test",
    },
    "an unknown tenant": {"tenant_name": "evil-corp"},
    "an upper-case name": {"tenant_name": "GLOBEX"},
    "NFKC full-width look-alike": {"tenant_name": "\uff47\uff4c\uff4f\uff42\uff45\uff58"},
    "Greek omicron look-alike": {"tenant_name": "gl\u03bfbex"},
    "a dotless-i look-alike domain": {
        "tenant_name": None,
        "tenant_custom_domain": "login.acme.tes\u0131",
    },
    "a name with a dot": {"tenant_name": "globex.testserver"},
    "empty parameters": {"tenant_name": "", "tenant_custom_domain": ""},
    "no parameters": {"tenant_name": None, "tenant_custom_domain": None},
}
#: Hosts and names no acme session, directory entry or logout may ever be paired with.
OTHER_TENANT_HOSTS = {"globex", "login.globex.test"}


@pytest.fixture(autouse=True)
def _no_tenant_learned_before() -> None:
    """Each test starts with an empty tenant directory (the local caches, which hold it)."""
    for cache in caches.all():
        cache.clear()


def tampered(callback_url: str, changes: dict[str, str | None]) -> str:
    """The callback's path and query with some parameters changed (None removes one)."""
    params = {**query_of(callback_url), **changes}
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"{urlsplit(callback_url).path}?{query}"


def learn_both_tenants(fake: FakeWristband) -> None:
    """Tenant-level logins to acme and globex: the tenant directory learns both."""
    for user in ("admin@acme.test", "admin@globex.test"):
        testing.log_in(Client(), fake, user)


def check_no_confusion(client: Client, fake: FakeWristband, host: str = "testserver") -> None:
    """Whatever the client holds is acme's, by id and (if any) by name and custom domain; the
    directory pairs no other tenant's name, domain or Wristband host with acme's id; logout
    goes to no other tenant's host."""
    figures.count("application-level callbacks tried")
    entry = stored_entry(client)
    confused = entry is not None and (
        entry.tenant_id != ACME.id
        or entry.tenant_name not in (None, ACME.name)
        or entry.tenant_custom_domain not in (None, ACME.custom_domain)
    )
    for kind, value in [
        (tenant_directory.NAME, "globex"),
        (tenant_directory.CUSTOM_DOMAIN, "login.globex.test"),
        (tenant_directory.AUTHORIZE_HOST, fake.tenant_host("globex")),
        (tenant_directory.AUTHORIZE_HOST, "login.globex.test"),
    ]:
        confused |= tenant_directory.tenant_id_of(kind, value) == ACME.id
    if entry is not None:
        logout_host = urlsplit(client.post("/auth/logout/", HTTP_HOST=host)["Location"]).netloc
        confused |= any(other in logout_host for other in OTHER_TENANT_HOSTS)
    figures.count("sessions whose tenant differs from the authenticated one", int(confused))
    assert not confused


def play_on(client: Client, fake: FakeWristband, response: Any, host: str) -> None:
    """Follow what the app answers as far as the acme user can: through this app's Login
    endpoint and Wristband's authorize endpoint (as acme's admin: Wristband refuses them at
    another tenant's host), back to the callback, at most a few times."""
    for _ in range(4):
        assert response.status_code != 500
        location = response.get("Location", "")
        parts = urlsplit(location)
        if response.status_code != 302 or parts.path not in ("/auth/login/", "/auth/callback/"):
            return
        if parts.path == "/auth/callback/":
            response = client.get(f"{parts.path}?{parts.query}", HTTP_HOST=parts.netloc or host)
            continue
        started = client.get(f"{parts.path}?{parts.query}", HTTP_HOST=parts.netloc or host)
        assert started.status_code == 302
        try:
            callback = fake.authorize(started["Location"], "admin@acme.test")
        except AssertionError:  # Wristband refuses acme's user at another tenant's host
            return
        callback_parts = urlsplit(callback)
        response = client.get(
            f"{callback_parts.path}?{callback_parts.query}",
            HTTP_HOST=callback_parts.netloc or host,
        )


@pytest.mark.fake_wristband(tenants=TENANTS, **ON)
@pytest.mark.wristband_settings(**ALLOW_LISTED)
@pytest.mark.parametrize("directory", ["unknown", "known"])
@pytest.mark.parametrize("changes", list(TAMPERED.values()), ids=list(TAMPERED))
def test_the_callbacks_tenant_parameters_never_name_the_session_against_the_signed_tnt_id(
    client: Client, wristband: FakeWristband, changes: dict[str, str | None], directory: str
) -> None:
    if directory == "known":
        learn_both_tenants(wristband)
    started = client.get("/auth/login/?return_url=/reports")
    callback = wristband.authorize(started["Location"], "admin@acme.test")
    response = client.get(tampered(callback, changes))
    play_on(client, wristband, response, "testserver")
    check_no_confusion(client, wristband)


@pytest.mark.fake_wristband(tenants=TENANTS, **ON)
@pytest.mark.wristband_settings(**ALLOW_LISTED)
def test_another_tenants_name_is_refused_where_this_site_knows_its_id(
    client: Client, wristband: FakeWristband
) -> None:
    """The directory knows globex's id: a callback naming globex with acme's tokens stores
    nothing, revokes those tokens, and restarts as a login to globex."""
    learn_both_tenants(wristband)
    started = client.get("/auth/login/?return_url=/reports")
    callback = wristband.authorize(started["Location"], "admin@acme.test")
    response = client.get(tampered(callback, {"tenant_name": "globex"}))
    assert response["Location"].startswith("http://testserver/auth/login/?tenant_name=globex&")
    assert stored_entry(client) is None
    assert len(wristband.calls("revoke")) == 1


@pytest.mark.fake_wristband(tenants=TENANTS, **ON)
@pytest.mark.wristband_settings(**ALLOW_LISTED)
def test_its_own_custom_domain_is_kept_once_confirmed(
    client: Client, wristband: FakeWristband
) -> None:
    """The custom domain alone names acme: kept once a tenant-level login confirmed it."""
    testing.log_in(Client(), wristband, query="tenant_custom_domain=login.acme.test")
    started = client.get("/auth/login/")
    callback = wristband.authorize(started["Location"], "admin@acme.test")
    client.get(tampered(callback, {"tenant_name": None}))
    entry = stored_entry(client)
    assert entry is not None and entry.tenant_id == ACME.id
    assert (entry.tenant_name, entry.tenant_custom_domain) == (None, "login.acme.test")
    logout = client.post("/auth/logout/")
    assert urlsplit(logout["Location"]).netloc == "login.acme.test"


@pytest.mark.fake_wristband(tenants=TENANTS, **ON, **SUBDOMAINS)
@pytest.mark.wristband_settings(**ALLOW_LISTED)
@pytest.mark.parametrize("directory", ["unknown", "known"])
@pytest.mark.parametrize("callback_host", ["globex", "evil", "GLOBEX", "globex.acme", ""])
def test_a_callback_opened_on_another_tenants_host_never_names_the_session_with_it(
    client: Client, wristband: FakeWristband, callback_host: str, directory: str
) -> None:
    """The login-state cookie is the root domain's, so it reaches every tenant subdomain: the
    callback's host is as unsigned as its parameters."""
    if directory == "known":
        for user, host in (("admin@acme.test", "acme"), ("admin@globex.test", "globex")):
            testing.log_in(Client(), wristband, user, query="", HTTP_HOST=f"{host}.testserver")
    started = client.get("/auth/login/?return_url=/reports", HTTP_HOST="testserver")
    callback = wristband.authorize(started["Location"], "admin@acme.test")
    assert urlsplit(callback).netloc == "acme.testserver"
    host = f"{callback_host}.testserver" if callback_host else "testserver"
    response = client.get(tampered(callback, {}), HTTP_HOST=host)
    play_on(client, wristband, response, host)
    check_no_confusion(client, wristband, host)
    session = client.get("/auth/session/", HTTP_HOST="globex.testserver")
    assert session.status_code == 401 or session.json()["tenantId"] == "tnt_globex"


# --- the class: the callback's tenant parameters and host, fuzzed --------------------------

names = st.sampled_from(
    [None, "", "acme", "globex", "ACME", "evil", "\uff41\uff43\uff4d\uff45", "glob\u0435x"]
)
domains = st.sampled_from([None, "", "login.acme.test", "login.globex.test", "LOGIN.GLOBEX.TEST"])


@pytest.mark.slow
@pytest.mark.fake_wristband(tenants=TENANTS, **ON)
@pytest.mark.wristband_settings(**ALLOW_LISTED)
@fuzz
@given(tenant_name=names, tenant_domain=names, tenant_custom_domain=domains, known=st.booleans())
def test_fuzz_query_mode_application_level_callbacks_never_confuse_tenants(
    wristband: FakeWristband,
    tenant_name: str | None,
    tenant_domain: str | None,
    tenant_custom_domain: str | None,
    known: bool,
) -> None:
    if known:
        learn_both_tenants(wristband)
    client = Client(raise_request_exception=False)
    started = client.get("/auth/login/")
    callback = wristband.authorize(started["Location"], "admin@acme.test")
    changes = {
        "tenant_name": tenant_name,
        "tenant_domain": tenant_domain,
        "tenant_custom_domain": tenant_custom_domain,
    }
    play_on(client, wristband, client.get(tampered(callback, changes)), "testserver")
    check_no_confusion(client, wristband)


@pytest.mark.slow
@pytest.mark.fake_wristband(tenants=TENANTS, **ON, **SUBDOMAINS)
@pytest.mark.wristband_settings(**ALLOW_LISTED)
@fuzz
@given(
    callback_host=st.sampled_from(["acme", "globex", "", "evil", "Globex", "x.globex"]),
    tenant_name=names,
    tenant_custom_domain=domains,
)
def test_fuzz_subdomain_application_level_callbacks_never_confuse_tenants(
    wristband: FakeWristband,
    callback_host: str,
    tenant_name: str | None,
    tenant_custom_domain: str | None,
) -> None:
    client = Client(raise_request_exception=False)
    started = client.get("/auth/login/", HTTP_HOST="testserver")
    callback = wristband.authorize(started["Location"], "admin@acme.test")
    host = f"{callback_host}.testserver" if callback_host else "testserver"
    changes = {"tenant_name": tenant_name, "tenant_custom_domain": tenant_custom_domain}
    response = client.get(tampered(callback, changes), HTTP_HOST=host)
    play_on(client, wristband, response, host)
    check_no_confusion(client, wristband, host)
