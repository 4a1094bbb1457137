"""A credential acts only on its own tenant's host, on every entry point (issue 22, point 1).

Where the request's host names a tenant (a tenant subdomain in subdomain mode, or a host in
the ``tenant_custom_domains`` allow-list), a session or bearer token of another tenant gets
what an unauthenticated request gets there, and the session is kept for its own host. The
matrix is every entry point x {session, bearer} x {own host, sibling tenant's host, another
tenant's custom domain, root host} in both tenant modes; the fuzz test varies the Host
header itself (case, trailing dot, port, deeper labels, look-alike labels), the dimension
the first review's probes did not.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support import figures
from tests.support.auth_helpers import log_in
from tests.support.network import free_port
from wristband_django.testing import FakeTenant, FakeWristband

pytestmark = pytest.mark.urls("tests.guards.tenant_host_urls")

TENANTS = [
    FakeTenant("acme", custom_domain="login.acme.test"),
    FakeTenant("globex", custom_domain="login.globex.test"),
]
CUSTOM_DOMAINS = ["login.acme.test", "login.globex.test"]
AUTH = {
    "tenant_custom_domains": CUSTOM_DOMAINS,
    "protected_paths": ["/api/"],
    "protected_paths_strategies": ["session", "bearer"],
}
SUBDOMAIN_MODE = {
    "tenants": TENANTS,
    "login_url": "http://{tenant_name}.testserver/auth/login/",
    "redirect_uri": "http://{tenant_name}.testserver/auth/callback/",
    "login_url_tenant_domain_suffix": "testserver",
}
QUERY_MODE = {
    "tenants": TENANTS,
    "login_url": "http://testserver/auth/login/",
    "redirect_uri": "http://testserver/auth/callback/",
}

#: Entry point -> (path, the strategies it takes). Each answers 200 with the principal.
ENTRY_POINTS = {
    "protected_paths": ("/api/protected/", {"session", "bearer"}),
    "decorator": ("/decorated/", {"session", "bearer"}),
    "async decorator": ("/async-decorated/", {"session", "bearer"}),
    "mixin": ("/mixin/", {"session", "bearer"}),
    "drf": ("/drf/", {"session", "bearer"}),
    "ninja": ("/ninja/either", {"session", "bearer"}),
    "session endpoint": ("/auth/session/", {"session"}),
    "token endpoint": ("/auth/token/", {"session"}),
    "typed user (open page)": ("/open/", {"session"}),
    "validate_access_token(request)": ("/validating/", {"bearer"}),
}
HOSTS = ["own", "sibling", "custom domain", "root"]


def host_for(kind: str, subdomains: bool) -> str:
    """The Host header of each kind, for a credential of acme."""
    own = "acme.testserver" if subdomains else "testserver"
    return {
        "own": own,
        "sibling": "globex.testserver",
        "custom domain": "login.globex.test",
        "root": "testserver",
    }[kind]


def accepted_on(kind: str, subdomains: bool) -> bool:
    """Where acme's credential must be accepted: its own host, and hosts naming no tenant
    (the root host; in query mode a sibling subdomain names no tenant either)."""
    return kind in ("own", "root") or (kind == "sibling" and not subdomains)


def logged_in(fake: FakeWristband, tenant: str, subdomains: bool, user: str) -> Client:
    """A client with a session of ``user`` at ``tenant``, made through the views."""
    client = Client()
    host = f"{tenant}.testserver" if subdomains else "testserver"
    query = f"tenant_custom_domain=login.{tenant}.test"
    if not subdomains:
        query += f"&tenant_name={tenant}"
    response = log_in(client, fake, query, user=user, HTTP_HOST=host)
    assert response.status_code == 302, response.content
    return client


def token_of(client: Client, subdomains: bool, tenant: str = "acme") -> str:
    host = f"{tenant}.testserver" if subdomains else "testserver"
    token: str = client.get("/auth/token/", HTTP_HOST=host).json()["accessToken"]
    return token


def acts_as(response: Any) -> str | None:
    """The tenant whose credential the view acted for, or None (refused / anonymous)."""
    if response.status_code != 200:
        return None
    body = response.json()
    if "tenantId" in body:  # the Session endpoint
        return str(body["tenantId"])
    if "accessToken" in body:  # the Token endpoint: only acme's session can have given it
        return "tnt_acme"
    seen = body.get("user") or body.get("token") or body.get("session")
    return None if seen is None else str(seen[1])


def unauthenticated_answer(name: str, response: Any) -> bool:
    if name == "typed user (open page)":
        return response.status_code == 200 and response.json()["user"] is None
    return response.status_code == 401


@pytest.mark.parametrize("subdomains", [True, False], ids=["subdomain mode", "query mode"])
def test_every_entry_point_refuses_another_tenants_credential(
    subdomains: bool, settings: Any
) -> None:
    mode = SUBDOMAIN_MODE if subdomains else QUERY_MODE
    with FakeWristband(**mode) as fake:
        settings.WRISTBAND_AUTH = fake.auth_settings(**AUTH)
        acme = logged_in(fake, "acme", subdomains, "usr_acme_member")
        logged_in(fake, "globex", subdomains, "usr_globex_admin")  # globex's host is known too
        token = token_of(acme, subdomains)
        confused, refused, served = 0, 0, 0
        for name, (path, strategies) in ENTRY_POINTS.items():
            for credential in sorted(strategies):
                for kind in HOSTS:
                    host = host_for(kind, subdomains)
                    if credential == "session":
                        response = acme.get(path, HTTP_HOST=host)
                    else:
                        response = Client().get(
                            path, HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}"
                        )
                    where = f"{name} x {credential} x {kind} ({host})"
                    assert response.status_code != 500, where
                    if accepted_on(kind, subdomains):
                        assert acts_as(response) == "tnt_acme", where
                        served += 1
                    else:
                        confused += acts_as(response) is not None
                        assert unauthenticated_answer(name, response), where
                        refused += 1
        # A refused session is not destroyed: it still works on its own host.
        own = host_for("own", subdomains)
        assert acme.get("/auth/session/", HTTP_HOST=own).json()["tenantId"] == "tnt_acme"
    assert confused == 0
    figures.count("tenant host requests tried", served + refused)
    figures.count("credentials that acted on another tenant's host", confused)
    assert (served, refused) == ((32, 32) if subdomains else (48, 16))


@pytest.mark.fake_wristband(**SUBDOMAIN_MODE)
@pytest.mark.wristband_settings(**AUTH, authenticate_django_user=True)
def test_a_django_user_logged_in_by_wristband_is_anonymous_on_another_tenants_host(
    wristband: FakeWristband,
) -> None:
    acme = logged_in(wristband, "acme", True, "usr_acme_admin")
    own = acme.get("/open/", HTTP_HOST="acme.testserver").json()
    assert own["djangoUser"] is not None and own["session"] == ["usr_acme_admin", "tnt_acme"]
    other = acme.get("/open/", HTTP_HOST="globex.testserver").json()
    assert other == {"session": None, "token": None, "user": None, "roles": [], "djangoUser": None}


@pytest.mark.fake_wristband(**SUBDOMAIN_MODE)
@pytest.mark.wristband_settings(**AUTH)
def test_a_tenant_whose_id_this_site_never_learned_accepts_no_token(
    wristband: FakeWristband,
) -> None:
    """globex never logged in here: its host cannot tell whose its tenant id is."""
    acme = logged_in(wristband, "acme", True, "usr_acme_member")
    token = token_of(acme, True)
    client = Client()
    for host in ("globex.testserver", "initech.testserver"):
        response = client.get("/decorated/", HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"


def _decorated(label: str, case_flips: list[bool], trailing_dot: bool, port: str) -> str:
    host = "".join(c.upper() if flip else c for c, flip in zip(label, case_flips, strict=False))
    host += label[len(case_flips) :]
    return host + ("." if trailing_dot else "") + port


LABELS = st.sampled_from(
    [
        "acme.testserver",
        "globex.testserver",
        "x.acme.testserver",
        "acme.globex.testserver",
        "acme-.testserver",
        "xn--acme-9qa.testserver",
        "acme.testserver.evil.test",
        "testserver",
        "login.globex.test",
        "login.acme.test",
        "unrelated.example",
        "acmetestserver",
    ]
)


@pytest.mark.slow
@pytest.mark.fake_wristband(**SUBDOMAIN_MODE)
@pytest.mark.wristband_settings(**AUTH)
@hypothesis_settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    label=LABELS,
    case_flips=st.lists(st.booleans(), max_size=24),
    trailing_dot=st.booleans(),
    port=st.sampled_from(["", ":80", ":8000"]),
    credential=st.sampled_from(["session", "bearer"]),
)
def test_fuzz_the_host_header_no_credential_crosses_tenants(
    wristband: FakeWristband,
    label: str,
    case_flips: list[bool],
    trailing_dot: bool,
    port: str,
    credential: str,
) -> None:
    """However the Host header is spelled, acme's credential acts only where the host, as
    Django reads it (lower case, no port, no trailing dot), is acme's or names no tenant."""
    acme = logged_in(wristband, "acme", True, "usr_acme_member")
    logged_in(wristband, "globex", True, "usr_globex_member")
    host = _decorated(label, case_flips, trailing_dot, port)
    if credential == "session":
        response = acme.get("/decorated/", HTTP_HOST=host)
    else:
        token = token_of(acme, True)
        response = Client().get("/decorated/", HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (200, 401), host
    figures.count("tenant host requests tried")
    names_acme = label in ("acme.testserver", "login.acme.test")
    names_no_tenant = label in ("testserver", "unrelated.example", "acmetestserver")
    names_no_tenant = names_no_tenant or label == "acme.testserver.evil.test"
    assert (response.status_code == 200) == (names_acme or names_no_tenant), host
    if response.status_code == 200:
        assert response.json()["user"][1] == "tnt_acme"


@pytest.mark.fake_wristband(**SUBDOMAIN_MODE)
@pytest.mark.wristband_settings(**AUTH, lock_cache_alias="locks")
def test_a_tenant_directory_that_does_not_answer_is_503_for_tokens_never_a_pass(
    wristband: FakeWristband, settings: Any
) -> None:
    """The lock cache (where a host's tenant id is kept) down: a token on a tenant host
    cannot be checked, so 503 (``WristbandUnavailableError`` from ``validate_access_token``),
    never 200 and never 500; a session on its own host needs no directory and still works."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "locks": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    acme = logged_in(wristband, "acme", True, "usr_acme_member")
    token = token_of(acme, True)
    bearer = {"HTTP_HOST": "acme.testserver", "HTTP_AUTHORIZATION": f"Bearer {token}"}
    for path in ("/decorated/", "/drf/", "/ninja/either", "/api/protected/", "/validating/"):
        assert Client().get(path, **bearer).status_code == 503, path
    assert acme.get("/decorated/", HTTP_HOST="acme.testserver").status_code == 200
    assert acme.get("/decorated/", HTTP_HOST="globex.testserver").status_code == 401
