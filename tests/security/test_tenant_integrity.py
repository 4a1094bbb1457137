"""A session's tenant is the tenant the user authenticated with.

The callback's tenant parameters are not signed; the login state binds the tenant the
authorize request went to, and the callback's parameters and (with tenant subdomains) its
host must agree with it. The fuzz tests vary all three together; the invariant they check is
the one a user would notice: a session's tenant name and its signed ``tnt_id`` come from the
same login.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.support import figures
from tests.support.auth_helpers import login_cookies, query_of, start_login, stored_entry
from tests.support.fuzzing import fuzz
from tests.support.restart_urls import without_restart
from wristband_django.testing import FakeTenant, FakeWristband

TENANTS = [FakeTenant("acme", custom_domain="login.acme.test"), FakeTenant("globex")]
SUBDOMAINS = {
    "login_url": "http://{tenant_name}.testserver/auth/login/",
    "redirect_uri": "http://{tenant_name}.testserver/auth/callback/",
    "login_url_tenant_domain_suffix": "testserver",
}


def tampered(callback_url: str, **changes: str | None) -> str:
    """The callback's path and query with some parameters changed (None removes one)."""
    params = {**query_of(callback_url), **changes}
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"{urlsplit(callback_url).path}?{query}"


def assert_no_session(client: Client) -> None:
    assert stored_entry(client) is None
    assert client.get("/auth/session/").status_code == 401


def tenant_id_of(fake: FakeWristband, name: str | None, custom_domain: str | None) -> str:
    (tenant,) = [
        t for t in fake.tenants if (t.name == name if name else t.custom_domain == custom_domain)
    ]
    return tenant.id


@pytest.mark.fake_wristband(tenants=TENANTS)
@pytest.mark.parametrize(
    "changes",
    [
        {"tenant_name": "globex"},
        {"tenant_name": None, "tenant_domain": "globex"},
        {"tenant_domain": "globex"},
        {"tenant_name": "evil-corp"},
    ],
    ids=["tenant_name", "legacy_tenant_domain", "both_names", "unknown"],
)
def test_a_callback_naming_another_tenant_stores_nothing_and_restarts(
    client: Client, wristband: FakeWristband, changes: dict[str, str | None], caplog: Any
) -> None:
    started = start_login(client, "tenant_name=acme&return_url=/reports")
    callback = wristband.authorize(started["Location"])
    with caplog.at_level(logging.WARNING, logger="wristband_django"):
        response = client.get(tampered(callback, **changes))
    assert response.status_code == 302
    assert (
        without_restart(response["Location"])
        == "http://testserver/auth/login/?tenant_name=acme&return_url=%2Freports"
    )
    assert_no_session(client)
    assert not wristband.calls("token")  # refused before the code was ever sent
    assert "another tenant" in caplog.text
    assert not [name for name, m in login_cookies(response).items() if m.value]  # cleared


@pytest.mark.fake_wristband(tenants=TENANTS)
def test_the_same_tenant_in_another_letter_case_completes(
    client: Client, wristband: FakeWristband
) -> None:
    callback = wristband.authorize(start_login(client, "tenant_name=acme")["Location"])
    assert client.get(tampered(callback, tenant_name="ACME"))["Location"] == "/"
    entry = stored_entry(client)
    assert entry is not None and (entry.tenant_name, entry.tenant_id) == ("acme", "tnt_acme")


@pytest.mark.fake_wristband(tenants=TENANTS)
def test_the_session_keeps_the_login_states_tenant_not_the_callbacks(
    client: Client, wristband: FakeWristband
) -> None:
    """A custom-domain login: Wristband's callback also names the tenant, unsigned. The login
    state knows only the custom domain, so the name can be neither checked nor stored."""
    started = start_login(client, "tenant_custom_domain=login.acme.test")
    callback = wristband.authorize(started["Location"])
    client.get(tampered(callback, tenant_name="globex"))
    entry = stored_entry(client)
    assert entry is not None
    assert (entry.tenant_id, entry.tenant_custom_domain) == ("tnt_acme", "login.acme.test")
    assert entry.tenant_name is None
    metadata = client.get("/auth/session/").json()["metadata"]
    assert metadata.get("tenant_name") is None
    logout = client.post("/auth/logout/")
    assert urlsplit(logout["Location"]).netloc == "login.acme.test"


@pytest.mark.fake_wristband(tenants=TENANTS)
def test_a_name_login_ignores_a_custom_domain_in_the_callback(
    client: Client, wristband: FakeWristband
) -> None:
    callback = wristband.authorize(start_login(client, "tenant_name=globex")["Location"])
    client.get(tampered(callback, tenant_custom_domain="login.acme.test"))
    entry = stored_entry(client)
    assert entry is not None and entry.tenant_id == "tnt_globex"
    assert (entry.tenant_name, entry.tenant_custom_domain) == ("globex", None)


@pytest.mark.fake_wristband(tenants=TENANTS)
def test_a_callback_changing_the_custom_domain_is_refused(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "tenant_custom_domain=login.acme.test")
    callback = wristband.authorize(started["Location"])
    response = client.get(tampered(callback, tenant_custom_domain="login.globex.test"))
    assert response["Location"].startswith("http://testserver/auth/login/?tenant_custom_domain=")
    assert_no_session(client)


@pytest.mark.fake_wristband(tenants=TENANTS, **SUBDOMAINS)
@pytest.mark.parametrize("name_param", [None, "globex", "acme"])
def test_a_login_started_on_one_tenant_host_cannot_finish_on_another(
    client: Client, wristband: FakeWristband, name_param: str | None
) -> None:
    """The ``login#`` cookie copied from acme's host to globex's (the test client sends every
    cookie to every host, as a copy would), the callback opened there."""
    started = start_login(client, "", HTTP_HOST="acme.testserver")
    callback = wristband.authorize(started["Location"])
    response = client.get(tampered(callback, tenant_name=name_param), HTTP_HOST="globex.testserver")
    assert response.status_code == 302
    assert without_restart(response["Location"]) == "http://acme.testserver/auth/login/"
    assert stored_entry(client) is None
    assert client.get("/auth/session/", HTTP_HOST="globex.testserver").status_code == 401
    assert not wristband.calls("token")


@pytest.mark.fake_wristband(tenants=TENANTS, **SUBDOMAINS)
def test_a_subdomain_login_completes_on_its_own_host(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "", HTTP_HOST="globex.testserver")
    callback = wristband.authorize(started["Location"])
    assert client.get(tampered(callback), HTTP_HOST="globex.testserver")["Location"] == "/"
    entry = stored_entry(client)
    assert entry is not None and (entry.tenant_name, entry.tenant_id) == ("globex", "tnt_globex")


def test_a_callback_without_its_login_state_never_reaches_wristband(
    client: Client, wristband: FakeWristband
) -> None:
    for index in range(20):
        query = f"state=x{index}&code=y&tenant_custom_domain=d{index}.example.test"
        assert client.get(f"/auth/callback/?{query}").status_code == 302
    # Only the one-time auto-configuration: no custom-domain check, no code exchange.
    assert {r.endpoint for r in wristband.requests} <= {"sdk_configuration"}


# --- the class: the callback's tenant parameters, its host and the login state, together ----

tenant_values = st.sampled_from([None, "acme", "globex", "ACME", "Globex", "evil", "", "acme "])
custom_domains = st.sampled_from([None, "login.acme.test", "LOGIN.ACME.TEST", "login.globex.test"])
callback_changes = st.fixed_dictionaries(
    {
        "tenant_name": tenant_values,
        "tenant_domain": tenant_values,
        "tenant_custom_domain": custom_domains,
    }
)


def check_tenant(fake: FakeWristband, client: Client, login_tenant: FakeTenant) -> None:
    """A session, if any, belongs to the tenant the login was started for, by name and id."""
    figures.count("fuzz inputs tried")
    entry = stored_entry(client)
    if entry is None:
        return
    stored_id = tenant_id_of(fake, entry.tenant_name, entry.tenant_custom_domain)
    confused = stored_id != entry.tenant_id or entry.tenant_id != login_tenant.id
    figures.count("sessions whose tenant differs from the authenticated one", int(confused))
    assert not confused


@pytest.mark.slow
@pytest.mark.fake_wristband(tenants=TENANTS)
@pytest.mark.wristband_settings(tenant_custom_domains=["login.acme.test"])
@fuzz
@given(
    login=st.sampled_from(
        ["tenant_name=acme", "tenant_name=globex", "tenant_custom_domain=login.acme.test"]
    ),
    changes=callback_changes,
)
def test_query_mode_callbacks_never_mix_tenants(
    wristband: FakeWristband, login: str, changes: dict[str, str | None]
) -> None:
    client = Client(raise_request_exception=False)
    started = start_login(client, login)
    login_tenant = next(t for t in TENANTS if t.name in login or t.custom_domain in login)  # type: ignore[operator]
    callback = wristband.authorize(started["Location"])
    assert client.get(tampered(callback, **changes)).status_code != 500
    check_tenant(wristband, client, login_tenant)


@pytest.mark.slow
@pytest.mark.fake_wristband(tenants=TENANTS, **SUBDOMAINS)
@pytest.mark.wristband_settings(tenant_custom_domains=["login.acme.test"])
@fuzz
@given(
    login_host=st.sampled_from(["acme", "globex"]),
    callback_host=st.sampled_from(["acme", "globex", "", "evil"]),
    changes=callback_changes,
)
def test_subdomain_callbacks_never_mix_tenants(
    wristband: FakeWristband, login_host: str, callback_host: str, changes: dict[str, str | None]
) -> None:
    client = Client(raise_request_exception=False)
    started = start_login(client, "", HTTP_HOST=f"{login_host}.testserver")
    login_tenant = next(t for t in TENANTS if t.name == login_host)
    callback = wristband.authorize(started["Location"])
    host = f"{callback_host}.testserver" if callback_host else "testserver"
    assert client.get(tampered(callback, **changes), HTTP_HOST=host).status_code != 500
    check_tenant(wristband, client, login_tenant)
