"""The error page's two links: its error code leads to that code's section of the
troubleshooting page, and "Try logging in again" keeps the tenant the failed login knew
(through the Login endpoint's own checks), so the user is not sent to tenant discovery."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client, RequestFactory

from tests.docs.test_docs_links import page_anchors
from tests.support.auth_helpers import finish_login, query_of, start_login
from wristband_django.conf.docs_links import docs_url
from wristband_django.errors import WristbandError
from wristband_django.testing import FakeWristband
from wristband_django.views import LoginView
from wristband_django.web.error_messages import HELP_BY_CODE, OTHER_CODE_HELP

pytestmark = pytest.mark.usefixtures("wristband")

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "wristband_django"
TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"

#: Codes of the package that never reach the error page (the JSON answers' and the refresh's).
NEVER_ON_THE_ERROR_PAGE = {
    "invalid_token": "a bearer token's 401 (JSON)",
    "session_ended": "a session's 401 (JSON, or the login redirect)",
    "wristband_unavailable": "the public code of a 503 in JSON; the page shows the cause's",
    "no_refresh_token": "a refresh: the middleware's, never a page of the endpoints",
    "refresh_outcome_unknown": "likewise",
    "insufficient_user_authentication": "a bearer caller's step-up 401 (JSON)",
}
#: Codes Wristband answers with (RFC 6749 4.1.2.1 and 5.2, OpenID Connect Core 3.1.2.6).
WRISTBANDS = {
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "invalid_client",
    "invalid_grant",
    "unsupported_grant_type",
    "login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
}
CODE = re.compile(r"[a-z]+(?:_[a-z]+)+|timeout")


def is_error_class(func: ast.expr) -> bool:
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name.endswith("Error") or name == "__init__"


def package_codes() -> dict[str, str]:
    """Every error code the package's code makes, with where: the first argument of an
    error's constructor (or of ``super().__init__``), a ``public_error``, an ``error = ...``,
    and the codes ``wristband.failures.diagnose`` returns."""
    found: dict[str, str] = {}
    for module in sorted(PACKAGE.rglob("*.py")):
        if "testing" in module.parts:
            continue
        where = str(module.relative_to(ROOT))
        for node in ast.walk(ast.parse(module.read_text())):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call) and node.args and is_error_class(node.func):
                values = [node.args[0]]
            elif isinstance(node, ast.Assign) and any(
                getattr(target, "id", None) in {"error", "public_error"} for target in node.targets
            ):
                value = node.value
                values = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
            elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
                values = node.value.elts[:1] if module.name == "failures.py" else []
            for value in values:
                literal = value.value if isinstance(value, ast.Constant) else None
                if isinstance(literal, str) and CODE.fullmatch(literal):
                    found.setdefault(literal, where)
    return found


def test_the_scan_finds_the_codes_of_each_kind() -> None:
    codes = package_codes()
    assert {"invalid_state", "tenant_mismatch", "access_denied", "server_error"} <= set(codes)
    assert {"timeout", "invalid_id_token", "session_store_unavailable"} <= set(codes)
    assert {"tls_error", "proxy_error", "http_error", "invalid_jwks"} <= set(codes)


def test_every_code_the_package_makes_is_on_the_error_page_or_never_there() -> None:
    unaccounted = {
        code: where
        for code, where in package_codes().items()
        if code not in HELP_BY_CODE and code not in NEVER_ON_THE_ERROR_PAGE
    }
    assert not unaccounted, f"give these a troubleshooting section: {unaccounted}"
    assert set(HELP_BY_CODE) >= WRISTBANDS


@pytest.mark.parametrize("code", sorted(HELP_BY_CODE))
def test_every_code_links_its_own_section(code: str) -> None:
    assert HELP_BY_CODE[code] == docs_url("troubleshooting", code)
    assert code in page_anchors(TROUBLESHOOTING)


def error_page_links(response: Any) -> dict[str, str]:
    """The error page's code link and "Try logging in again" link."""
    text = response.content.decode()
    help_link = re.search(r'<a id="error-help" href="([^"]+)"', text)
    retry = re.search(r'<a href="([^"]+)">Try logging in again</a>', text)
    return {
        "help": html.unescape(help_link.group(1)) if help_link else "",
        "retry": html.unescape(retry.group(1)) if retry else "",
    }


@pytest.mark.parametrize("code", [*sorted(HELP_BY_CODE), "something_new"])
def test_the_error_page_links_the_section_of_its_code(rf: RequestFactory, code: str) -> None:
    view = LoginView()
    view.setup(rf.get("/auth/login/"))
    page = view.error_response(WristbandError(code, "what went wrong"), status=400)
    link = error_page_links(page)["help"]
    assert link == HELP_BY_CODE.get(code, OTHER_CODE_HELP)
    assert urlsplit(link).fragment in page_anchors(TROUBLESHOOTING)


def test_a_refused_login_links_access_denied(client: Client, wristband: FakeWristband) -> None:
    started = start_login(client)
    callback = wristband.authorize(started["Location"], error="access_denied")
    parts = urlsplit(callback)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 400
    assert error_page_links(page)["help"] == docs_url("troubleshooting", "access_denied")


# --- "Try logging in again" keeps the tenant ------------------------------------------------


def follow(client: Client, url: str, **extra: Any) -> Any:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}", **extra)


def test_after_a_refused_login_the_retry_signs_in_to_the_same_tenant(
    client: Client, wristband: FakeWristband
) -> None:
    started = start_login(client, "tenant_name=globex")
    refused = follow(client, wristband.authorize(started["Location"], error="access_denied"))
    retry = error_page_links(refused)["retry"]
    assert retry == "/auth/login/?tenant_name=globex"
    again = client.get(retry)
    assert urlsplit(again["Location"]).netloc == wristband.tenant_host("globex")  # no discovery
    assert finish_login(client, wristband, again["Location"]).status_code == 302


def test_after_the_login_endpoint_refuses_a_parameter_the_retry_keeps_the_tenant(
    client: Client, wristband: FakeWristband
) -> None:
    refused = client.get("/auth/login/?tenant_name=Acme&prompt=consent")
    assert refused.status_code == 400
    assert error_page_links(refused)["retry"] == "/auth/login/?tenant_name=acme"
    legacy = client.get("/auth/login/?tenant_domain=acme&max_age=-1")
    assert error_page_links(legacy)["retry"] == "/auth/login/?tenant_name=acme"
    twice = client.get("/auth/login/?tenant_name=acme&prompt=login&prompt=none")
    assert error_page_links(twice)["retry"] == "/auth/login/?tenant_name=acme"


@pytest.mark.parametrize(
    "query",
    [
        "tenant_name=evil.com&prompt=x",
        "tenant_name=a%2Fb&prompt=x",
        "tenant_name=-acme&prompt=x",
        "tenant_name=acme&tenant_name=globex",  # which one? neither
        "tenant_custom_domain=evil.example&prompt=x",  # not confirmed by Wristband
        "tenant_custom_domain=a%40b&prompt=x",
    ],
)
def test_the_retry_never_carries_what_the_login_endpoint_would_refuse(
    client: Client, query: str
) -> None:
    refused = client.get(f"/auth/login/?{query}")
    assert refused.status_code == 400
    assert error_page_links(refused)["retry"] == "/auth/login/"


def test_a_confirmed_custom_domain_is_kept(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(tenant_custom_domains=["login.acme.test"])
    started = start_login(client, "tenant_custom_domain=login.acme.test")
    assert urlsplit(started["Location"]).netloc == "login.acme.test"
    state = query_of(started["Location"])["state"]
    callback = f"/auth/callback/?state={state}&error=access_denied"  # Wristband refused it
    retry = error_page_links(client.get(callback))["retry"]
    assert retry == "/auth/login/?tenant_custom_domain=login.acme.test"
    refused = client.get("/auth/login/?tenant_custom_domain=other.test&prompt=x")
    assert error_page_links(refused)["retry"] == "/auth/login/"  # not in the allow-list


@pytest.mark.fake_wristband(
    login_url="http://{tenant_name}.testserver/auth/login/",
    redirect_uri="http://{tenant_name}.testserver/auth/callback/",
    login_url_tenant_domain_suffix="testserver",
)
def test_on_a_tenant_subdomain_the_retry_is_the_hosts_login(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = {
        **settings.WRISTBAND_AUTH,
        "parse_tenant_from_root_domain": "testserver",
    }
    host = {"HTTP_HOST": "acme.testserver"}
    started = start_login(client, "", **host)
    refused = follow(
        client, wristband.authorize(started["Location"], error="access_denied"), **host
    )
    retry = error_page_links(refused)["retry"]
    assert retry == "/auth/login/"  # on acme.testserver: the host names the tenant
    again = client.get(retry, **host)
    assert urlsplit(again["Location"]).netloc == wristband.tenant_host("acme")


def test_a_callback_without_its_login_state_keeps_the_tenant_it_names(
    client: Client, wristband: FakeWristband
) -> None:
    """Wristband unavailable at the callback, the login-state cookie lost: the tenant the
    callback names is the one a restart would use, checked again by the Login endpoint."""
    wristband.inject("sdk_configuration", status=503, times=None)
    page = client.get("/auth/callback/?state=x&code=y&tenant_name=globex")
    assert page.status_code in (502, 503)
    assert error_page_links(page)["retry"] == "/auth/login/?tenant_name=globex"
