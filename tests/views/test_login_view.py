"""The Login endpoint: tenant resolution, the authorize URL, the login-state cookie, return URLs."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from django.test import Client

from tests.support.auth_helpers import finish_login, login_cookies, query_of, start_login
from wristband_django.flows import login_state
from wristband_django.testing import FakeTenant, FakeWristband
from wristband_django.views import LoginView

pytestmark = pytest.mark.usefixtures("wristband")

CUSTOM_DOMAIN_TENANTS = [FakeTenant("acme", custom_domain="login.acme.test"), FakeTenant("globex")]


def authorize_host(response: Any) -> str:
    return urlsplit(response["Location"]).netloc


def test_login_redirects_to_the_tenant_authorize_endpoint_with_pkce(
    client: Client, wristband: FakeWristband
) -> None:
    response = start_login(client, "tenant_name=acme&login_hint=a%40b.c&idp_hint=google")
    url = urlsplit(response["Location"])
    assert url.scheme == "http" and url.netloc == wristband.tenant_host("acme")
    assert url.path == "/api/v1/oauth2/authorize"
    params = query_of(response["Location"])
    assert params["client_id"] == wristband.client_id
    assert params["redirect_uri"] == "http://testserver/auth/callback/"
    assert params["response_type"] == "code"
    assert params["scope"] == "openid offline_access email profile roles"  # the suite's scopes
    assert params["code_challenge_method"] == "S256"
    assert params["login_hint"] == "a@b.c" and params["idp_hint"] == "google"
    assert len(params["state"]) >= 43 and len(params["nonce"]) >= 43
    ((name, morsel),) = login_cookies(response).items()
    stored = login_state.decrypt(morsel.value, name, (wristband.client_secret,))
    assert stored is not None and stored.state == params["state"]
    assert stored.nonce == params["nonce"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(stored.code_verifier.encode()).digest())
    assert params["code_challenge"] == challenge.rstrip(b"=").decode()
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    assert "no-store" in response["Cache-Control"]


def test_login_state_cookie_attributes(client: Client) -> None:
    response = start_login(client)
    ((name, morsel),) = login_cookies(response).items()
    assert name == login_state.cookie_name(query_of(response["Location"])["state"])
    assert morsel["httponly"] and morsel["secure"]
    assert morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert morsel["max-age"] == 3600


def test_secure_flag_can_be_dropped_for_local_http(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(dangerously_disable_secure_cookies=True)
    (morsel,) = login_cookies(start_login(client)).values()
    assert not morsel["secure"]


def test_at_most_three_pending_logins_oldest_evicted(
    client: Client, wristband: FakeWristband
) -> None:
    logins = [start_login(client, f"tenant_name=acme&return_url=/{i}") for i in range(4)]
    pending = [name for name, morsel in client.cookies.items() if morsel.value]
    assert len(pending) == 3 and next(iter(login_cookies(logins[0]))) not in pending
    evicted = finish_login(client, wristband, logins[0]["Location"])
    assert evicted["Location"].startswith("http://testserver/auth/login/?tenant_name=acme")
    for index in (1, 2, 3):
        assert finish_login(client, wristband, logins[index]["Location"])["Location"] == f"/{index}"


@pytest.mark.parametrize("already_pending", [0, 3])
def test_concurrent_logins_stay_within_three_cookies_and_the_budget(
    client: Client, wristband: FakeWristband, already_pending: int
) -> None:
    """Six tabs start a login at once: every request sees the same cookies (the worst
    interleaving), and the browser applies their answers one after another. Each keeps a
    cookie of its own; the next login to finish leaves at most three."""
    for index in range(already_pending):
        start_login(client, f"tenant_name=acme&return_url=/{'p' * 900}{index}")
    snapshot = {name: morsel.value for name, morsel in client.cookies.items()}
    answers = []
    for index in range(6):
        tab = Client()
        for name, value in snapshot.items():
            tab.cookies[name] = value
        return_url = "/" + f"{index}é✓" * 300  # non-ASCII: bytes, not characters, count
        answers.append(start_login(tab, f"tenant_name=acme&return_url={quote(return_url)}"))
    for answer in answers:
        client.cookies.update(answer.cookies)
    own = {name for answer in answers for name, m in login_cookies(answer).items() if m.value}
    assert len(own) == 6
    completed = [finish_login(client, wristband, answers[-1]["Location"])["Location"]]
    live = {n: m.value for n, m in client.cookies.items() if n.startswith("login#") and m.value}
    assert len(live) <= 3
    assert sum(login_state.cookie_bytes(n, v) for n, v in live.items()) <= 4096  # the default
    completed += [
        finish_login(client, wristband, answer["Location"])["Location"] for answer in answers[:-1]
    ]
    assert not any(location.startswith("http") and "500" in location for location in completed)
    assert client.get("/auth/session/").status_code == 200  # the logins that kept a cookie


@pytest.mark.parametrize("param", ["tenant_name", "tenant_domain"])
def test_tenant_name_param_and_its_legacy_name(
    client: Client, wristband: FakeWristband, param: str
) -> None:
    assert authorize_host(start_login(client, f"{param}=globex")) == wristband.tenant_host("globex")


@pytest.mark.fake_wristband(is_application_custom_domain_active=False)
def test_tenant_host_uses_a_hyphen_without_an_application_custom_domain(
    client: Client, wristband: FakeWristband
) -> None:
    assert authorize_host(start_login(client)) == f"acme-{wristband.vanity_domain}"


@pytest.mark.fake_wristband(tenants=CUSTOM_DOMAIN_TENANTS)
def test_confirmed_tenant_custom_domain_wins_over_everything(client: Client) -> None:
    response = start_login(client, "tenant_custom_domain=login.acme.test&tenant_name=globex")
    assert authorize_host(response) == "login.acme.test"


@pytest.mark.fake_wristband(tenants=CUSTOM_DOMAIN_TENANTS)
def test_unconfirmed_tenant_custom_domain_is_ignored(
    client: Client, wristband: FakeWristband
) -> None:
    response = start_login(client, "tenant_custom_domain=evil.example&tenant_name=globex")
    assert authorize_host(response) == wristband.tenant_host("globex")
    assert wristband.calls("validate_custom_domain")  # Wristband was asked


def test_tenant_custom_domain_allow_list_replaces_the_wristband_check(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(tenant_custom_domains=["login.acme.test"])
    assert (
        authorize_host(start_login(client, "tenant_custom_domain=login.acme.test"))
        == "login.acme.test"
    )
    response = start_login(client, "tenant_custom_domain=other.test&tenant_name=acme")
    assert authorize_host(response) == wristband.tenant_host("acme")
    assert not wristband.calls("validate_custom_domain")


@pytest.mark.fake_wristband(
    login_url="http://{tenant_name}.testserver/auth/login/",
    redirect_uri="http://{tenant_name}.testserver/auth/callback/",
    login_url_tenant_domain_suffix="testserver",
)
def test_tenant_subdomain_of_the_request_host(client: Client, wristband: FakeWristband) -> None:
    response = start_login(client, "tenant_name=acme", HTTP_HOST="globex.testserver")
    assert authorize_host(response) == wristband.tenant_host("globex")  # subdomain beats the param
    assert (
        query_of(response["Location"])["redirect_uri"] == "http://globex.testserver/auth/callback/"
    )


@pytest.mark.fake_wristband(
    login_url="http://{tenant_name}.testserver/auth/login/",
    redirect_uri="http://{tenant_name}.testserver/auth/callback/",
    login_url_tenant_domain_suffix="testserver",
)
def test_subdomain_apps_without_a_tenant_go_to_tenant_discovery(
    client: Client, wristband: FakeWristband
) -> None:
    response = start_login(client, "", HTTP_HOST="testserver")
    assert response["Location"].startswith(f"{wristband.base_url}/login?")


def test_default_tenant_from_settings(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(default_tenant_name="globex")
    assert authorize_host(start_login(client, "")) == wristband.tenant_host("globex")
    assert authorize_host(start_login(client, "tenant_name=acme")) == wristband.tenant_host("acme")
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        default_tenant_name="globex", default_tenant_custom_domain="login.acme.test"
    )
    assert authorize_host(start_login(client, "")) == "login.acme.test"  # custom domain first


def test_default_tenant_per_view(rf: Any, wristband: FakeWristband) -> None:
    view = LoginView.as_view(default_tenant_name="globex")
    request = rf.get("/auth/login/")
    assert authorize_host(view(request)) == wristband.tenant_host("globex")


def test_no_tenant_goes_to_the_application_login_page_with_the_return_url(
    client: Client, wristband: FakeWristband
) -> None:
    response = start_login(client, "return_url=/reports%3Fy%3D2024")
    assert response["Location"].startswith(f"{wristband.base_url}/login?")
    params = query_of(response["Location"])
    assert params == {"client_id": wristband.client_id, "state": "/reports?y=2024"}
    assert not login_cookies(response)


@pytest.mark.parametrize(
    "hostile", ["evil.com%23", "evil.com", "acme.evil.com", "a/b", "-acme", "x" * 64, "%00acme"]
)
def test_tenant_name_that_is_not_a_dns_label_is_ignored(
    client: Client, wristband: FakeWristband, hostile: str
) -> None:
    response = start_login(client, f"tenant_name={hostile}")
    assert urlsplit(response["Location"]).netloc == wristband.vanity_domain  # discovery page


def test_return_url_on_the_same_site_is_kept(client: Client, wristband: FakeWristband) -> None:
    response = start_login(client, "tenant_name=acme&return_url=" + quote("/deep/link?a=1"))
    callback = finish_login(client, wristband, response["Location"])
    assert callback["Location"] == "/deep/link?a=1"


def test_allowed_hosts_setting_admits_other_hosts(
    client: Client, settings: Any, wristband: FakeWristband
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(allowed_return_url_hosts=["app.example.com"])
    target = "http://app.example.com/dashboard"
    response = start_login(client, "tenant_name=acme&return_url=" + quote(target))
    assert finish_login(client, wristband, response["Location"])["Location"] == target


OPEN_REDIRECTS = [
    "//evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "https:evil.com",
    "http://evil.com",
    "javascript:alert(1)",
    "http:999999999",
    "///evil.com",
    " //evil.com",
    "/\t/evil.com",
    "https://testserver.evil.com/",
    "https://evil.com@testserver/",  # harmless actually, but not our host as parsed
]


@pytest.mark.parametrize("hostile", OPEN_REDIRECTS)
def test_foreign_return_urls_are_dropped(
    client: Client, wristband: FakeWristband, hostile: str
) -> None:
    response = start_login(client, "tenant_name=acme&return_url=" + quote(hostile))
    callback = finish_login(client, wristband, response["Location"])
    assert callback["Location"] == "/"


@pytest.mark.parametrize("hostile", OPEN_REDIRECTS)
def test_foreign_next_urls_are_dropped(
    client: Client, wristband: FakeWristband, hostile: str
) -> None:
    """Django's ``next`` gets the same checks as ``return_url``."""
    response = start_login(client, "tenant_name=acme&next=" + quote(hostile))
    assert finish_login(client, wristband, response["Location"])["Location"] == "/"


def test_djangos_next_is_a_return_url(client: Client, wristband: FakeWristband) -> None:
    """``login_required`` sends ``LOGIN_URL?next=<the page>``: the login lands there."""
    response = start_login(client, "tenant_name=acme&next=" + quote("/deep/link?a=1"))
    assert finish_login(client, wristband, response["Location"])["Location"] == "/deep/link?a=1"


@pytest.mark.parametrize(
    ("query", "landing"),
    [
        ("return_url=/ours&next=/theirs", "/ours"),  # ours, given on purpose
        ("next=/theirs&return_url=/ours", "/ours"),  # whatever the order
        ("return_url=&next=/theirs", "/theirs"),  # an empty one counts as absent
        ("return_url=//evil.com&next=/theirs", "/"),  # return_url chosen, then dropped
        ("next=/theirs&state=/discovered", "/theirs"),
    ],
)
def test_return_url_wins_over_next(
    client: Client, wristband: FakeWristband, query: str, landing: str
) -> None:
    response = start_login(client, f"tenant_name=acme&{query}")
    assert finish_login(client, wristband, response["Location"])["Location"] == landing


def test_next_survives_tenant_discovery(client: Client, wristband: FakeWristband) -> None:
    response = start_login(client, "next=/reports/7")
    assert query_of(response["Location"])["state"] == "/reports/7"


class GotoLogin(LoginView):
    redirect_field_name = "goto"


def test_a_subclass_reads_its_own_redirect_field(rf: Any, wristband: FakeWristband) -> None:
    """As Django's ``LoginView``: for ``login_required(redirect_field_name="goto")``."""
    response = GotoLogin.as_view()(rf.get("/auth/login/?tenant_name=acme&goto=/a&next=/b"))
    ((name, morsel),) = login_cookies(response).items()
    stored = login_state.decrypt(morsel.value, name, (wristband.client_secret,))
    assert stored is not None and stored.return_url == "/a"


def test_overlong_return_url_is_dropped(client: Client, wristband: FakeWristband) -> None:
    response = start_login(client, "tenant_name=acme&return_url=/" + "a" * 1100)
    assert finish_login(client, wristband, response["Location"])["Location"] == "/"


@pytest.mark.parametrize(
    "return_url",
    [
        "http://evil.com\uff0f@testserver/",  # full-width solidus
        "http://testserver\uff20evil.com/",  # full-width commercial at
        "//ex\u2100ample.com/",  # account-of: NFKC "a/c"
        "https://testserver\uff1a443\uff0fx",
    ],
)
def test_return_urls_that_normalise_into_url_syntax_are_dropped(
    client: Client, wristband: FakeWristband, return_url: str
) -> None:
    started = start_login(client, f"tenant_name=acme&return_url={quote(return_url)}")
    assert finish_login(client, wristband, started["Location"])["Location"] == "/"


@pytest.mark.parametrize("return_url", ["/" + "\u00e9" * 427, "/" + "\U0001f4a5" * 250])
def test_return_urls_are_bounded_in_bytes_of_the_final_cookie(
    client: Client, wristband: FakeWristband, return_url: str
) -> None:
    """Short in characters, long in bytes once sealed: kept if it fits, else dropped; the
    cookie stays within its share of the budget, never a 500."""
    started = start_login(client, f"tenant_name=acme&return_url={quote(return_url)}")
    ((name, morsel),) = login_cookies(started).items()
    assert login_state.cookie_bytes(name, morsel.value) <= 4096 // 3
    landed = finish_login(client, wristband, started["Location"])["Location"]
    assert landed in ("/", quote(return_url))


def test_duplicate_query_parameters_are_rejected(client: Client) -> None:
    response = client.get("/auth/login/?tenant_name=acme&tenant_name=globex")
    assert response.status_code == 400
    assert b"&quot;tenant_name&quot; is given more than once" in response.content
    assert "no-store" in response["Cache-Control"]


def test_only_get_is_allowed(client: Client) -> None:
    assert client.post("/auth/login/").status_code == 405


class StatefulLogin(LoginView):
    def get_custom_state(self) -> Any:
        return {"plan": "pro", "padding": "x" * self.request.GET.get("pad", "0").count("x")}


def test_custom_state_over_half_a_kilobyte_is_refused(rf: Any) -> None:
    request = rf.get("/auth/login/?tenant_name=acme&pad=" + "x" * 600)
    with pytest.raises(ValueError, match="limit is 512"):
        StatefulLogin.as_view()(request)


@pytest.mark.fake_wristband(tenants=CUSTOM_DOMAIN_TENANTS)
def test_largest_login_state_still_fits_its_share_of_the_cookie_budget(
    rf: Any, wristband: FakeWristband, settings: Any
) -> None:
    """The longest tenant custom domain and the largest custom state still fit a third of the
    smallest budget; the return URL gets what is left, or is dropped."""
    domain = ".".join(["d" * 63] * 3) + ".acme.test"
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        tenant_custom_domains=[domain], login_cookie_budget=4096
    )
    return_url = "/" + "r" * 1023
    query = f"tenant_custom_domain={domain}&pad={'x' * 480}&return_url={return_url}"
    response = StatefulLogin.as_view()(rf.get(f"/auth/login/?{query}"))
    ((name, morsel),) = login_cookies(response).items()
    stored = login_state.decrypt(morsel.value, name, (wristband.client_secret,))
    assert stored is not None and stored.tenant_custom_domain == domain
    assert stored.return_url is None  # did not fit: dropped, as the README says
    assert len(json.dumps(stored.custom_state)) > 480
    assert login_state.cookie_bytes(name, morsel.value) <= 4096 // 3


def test_wristband_down_during_auto_configuration_is_a_clear_503(
    client: Client, wristband: FakeWristband
) -> None:
    wristband.inject(
        "sdk_configuration", status=503, body="<html>down</html>", content_type="text/html"
    )
    response = client.get("/auth/login/?tenant_name=acme")
    assert response.status_code == 503
    assert b"server_error" in response.content


def test_the_return_url_survives_tenant_discovery(wristband: FakeWristband) -> None:
    """Without a tenant the login goes to Wristband's discovery page with the return URL as
    ``state``; the tenant picked there comes back to the Login endpoint with that ``state``,
    and the login lands where it was asked to."""
    client = Client()
    to_discovery = client.get("/auth/login/?return_url=/reports/7")
    assert to_discovery["Location"].startswith(f"{wristband.base_url}/login?")
    page = requests.get(to_discovery["Location"], timeout=5).text
    (acme_link,) = [link for link in re.findall(r'href="([^"]+)"', html.unescape(page))
                    if "tenant_name=acme" in link]  # fmt: skip
    started = client.get(acme_link.replace("http://testserver", ""))
    assert started.status_code == 302
    callback = finish_login(client, wristband, started["Location"])
    assert callback["Location"] == "/reports/7"


def test_a_state_pointing_elsewhere_is_not_followed(wristband: FakeWristband) -> None:
    client = Client()
    started = client.get("/auth/login/?tenant_name=acme&state=https://evil.test/")
    callback = finish_login(client, wristband, started["Location"])
    assert callback["Location"] == "/"  # the default return URL, not the other site
