"""Fuzzing with hypothesis: hostile query strings, cookies and headers on every endpoint, and
broken answers from Wristband. Zero 500s, zero sessions from bad input, zero valid sessions
lost. CI runs the "ci" profile; scripts/security_figures.py runs "thorough" and records."""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from hypothesis import given
from hypothesis import strategies as st

from tests.support import figures
from tests.support.auth_helpers import expire_access_token, log_in, start_login, stored_entry
from tests.support.fuzzing import fuzz
from wristband_django.flows import login_state
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME
ENDPOINTS = ["/auth/login/", "/auth/callback/", "/auth/session/", "/auth/token/", "/api/whoami/"]
pytestmark = [
    pytest.mark.slow,  # 40 examples a test (the "ci" profile), some of them slow answers
    pytest.mark.wristband_settings(
        protected_paths=["/api/"],
        read_timeout=0.15,
        call_timeout=0.4,
        callback_timeout=0.6,
        refresh_timeout=0.5,
        refresh_lock_timeout=3.5,
    ),
]

nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=100, max_size=400),
    st.sampled_from(
        ["", " ", "acme", "globex", "//evil.com", "/\\evil.com", "javascript:alert(1)", "\x00",
         "%00", "evil.com#", "login_required", "invalid_grant", "../..", "{tenant_name}",
         "a" * 5000, "wbenc1:AAAA", "localhost", "💥", "\r\nSet-Cookie: x=1"]
    ),
)  # fmt: skip
param_names = st.one_of(
    st.sampled_from(
        ["tenant_name", "tenant_domain", "tenant_custom_domain", "return_url", "login_hint",
         "idp_hint", "state", "code", "error", "error_description", "iss", "prompt"]
    ),
    st.text(min_size=1, max_size=12),
)  # fmt: skip
query_strings = st.lists(st.tuples(param_names, nasty_text), max_size=8).map(urlencode)
# What a WSGI server hands Django for a header: the wire's bytes (a browser's UTF-8, or any
# bytes at all) decoded as ISO-8859-1.
wire_text = st.one_of(
    nasty_text.map(lambda text: text.encode("utf-8").decode("latin-1")),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
)
cookie_names = st.one_of(
    st.just("csrftoken"),
    st.sampled_from(["login#0", "login#1", "login#2", "login#3", "login#"]),
    st.from_regex(r"login#[A-Za-z0-9_-]{0,45}#[0-9]{0,14}", fullmatch=True),
    st.text(alphabet=string.ascii_letters + string.digits + "_-#", min_size=1, max_size=16),
)
cookie_values = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "-_=.", max_size=300), wire_text
)
cookie_jars = st.dictionaries(cookie_names, cookie_values, max_size=5)
headers = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_X_FORWARDED_FOR": wire_text,
        "HTTP_X_FORWARDED_HOST": wire_text,
        "HTTP_REFERER": wire_text,
        "HTTP_USER_AGENT": wire_text,
        "HTTP_ACCEPT": wire_text,
        "HTTP_HOST": st.sampled_from(
            ["testserver", "acme.testserver", "evil.com", "a" * 300, "bad host", ""]
        ),
    },
)


def send(client: Client, method: str, path: str, query: str, extra: dict[str, str]) -> int:
    response = getattr(client, method)(f"{path}?{query}", **extra)
    figures.count("fuzz inputs tried")
    if response.status_code >= 500 and response.status_code not in (502, 503):
        figures.count("500s")
    return int(response.status_code)


def plant(client: Client, cookies: dict[str, str]) -> None:
    for name, value in cookies.items():
        try:
            client.cookies[name] = value
        except Exception:  # noqa: S112 - a name http.cookies refuses: not sendable
            continue


@fuzz
@given(
    method_path=st.sampled_from([("get", p) for p in ENDPOINTS] + [("post", "/auth/logout/")]),
    query=query_strings,
    cookies=cookie_jars,
    extra=headers,
)
def test_hostile_requests_never_500_and_never_create_a_session(
    wristband: FakeWristband, method_path: tuple[str, str], query: str, cookies: dict[str, str],
    extra: dict[str, str],
) -> None:  # fmt: skip
    client = Client(raise_request_exception=False)
    plant(client, cookies)
    method, path = method_path
    status = send(client, method, path, query, extra)
    assert status != 500
    created = stored_entry(client) is not None
    figures.count("sessions created from bad input", int(created))
    assert not created


@fuzz
@given(
    path=st.sampled_from(ENDPOINTS),
    query=query_strings,
    cookies=cookie_jars,
    extra=headers,
)
def test_hostile_requests_never_cost_a_valid_user_the_session(
    logged_in: Client, path: str, query: str, cookies: dict[str, str], extra: dict[str, str]
) -> None:
    victim = Client(raise_request_exception=False)
    victim.cookies[SESSION_COOKIE] = logged_in.cookies[SESSION_COOKIE].value
    plant(victim, {k: v for k, v in cookies.items() if k != SESSION_COOKIE})
    extra = {k: v for k, v in extra.items() if k != "HTTP_HOST"}  # the user's own host
    status = send(victim, "get", path, query, extra)
    assert status != 500
    still = Client()
    still.cookies[SESSION_COOKIE] = logged_in.cookies[SESSION_COOKIE].value
    lost = still.get("/auth/session/").status_code != 200
    figures.count("valid sessions lost", int(lost))
    assert not lost


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)  # fmt: skip
token_like = st.fixed_dictionaries(
    {},
    optional={
        "access_token": json_values, "expires_in": json_values, "id_token": json_values,
        "refresh_token": json_values, "token_type": json_values, "scope": json_values,
        "keys": json_values, "sub": nasty_text, "tnt_id": json_values,
    },
)  # fmt: skip
answer_bodies = st.one_of(
    st.fixed_dictionaries({"json": st.one_of(token_like, json_values)}),
    st.fixed_dictionaries(
        {
            "body": st.one_of(
                st.just("<html><body>Bad gateway</body></html>"),
                st.text(max_size=200),
                st.just("{"),
            )
        }
    ),
)
broken_answers = st.builds(
    lambda status, pace, body: {"status": status, **pace, **body},
    status=st.sampled_from([200, 200, 201, 400, 401, 404, 500, 502, 503]),
    pace=st.sampled_from(
        [
            {}, {}, {}, {},
            {"delay": 0.2},  # stalled: 0.2 s > the 0.15 s read timeout
            {"trickle": 0.12},  # trickled, but done within every deadline
            {"trickle": 0.8},  # trickled past every deadline, each byte within read_timeout
        ]
    ),
    body=answer_bodies,
)  # fmt: skip


@fuzz
@given(endpoint=st.sampled_from(["token", "userinfo", "jwks"]), answer=broken_answers)
def test_broken_wristband_answers_during_login_create_no_session(
    wristband: FakeWristband, endpoint: str, answer: dict[str, Any]
) -> None:
    wristband.inject(endpoint, content_type="application/json", **answer)
    client = Client(raise_request_exception=False)
    # A fresh copy of the settings resets the per-process caches (JWKS...): a cold start.
    with override_settings(WRISTBAND_AUTH=dict(django_settings.WRISTBAND_AUTH)):
        started = start_login(client)
        callback = wristband.authorize(started["Location"])
        figures.count("fuzz inputs tried")
        status = client.get(callback.replace("http://testserver", "")).status_code
    wristband.clear_faults()
    figures.count("500s", int(status == 500))
    assert status != 500
    created = stored_entry(client) is not None
    figures.count("sessions created from bad input", int(created))
    assert not created


@fuzz
@given(answer=broken_answers)
def test_broken_wristband_answers_during_refresh_never_500(
    wristband: FakeWristband, logged_in: Client, answer: dict[str, Any]
) -> None:
    expire_access_token(logged_in)
    wristband.inject("token", content_type="application/json", grant_type="refresh_token", **answer)
    client = Client(raise_request_exception=False)
    client.cookies[SESSION_COOKIE] = logged_in.cookies[SESSION_COOKIE].value
    figures.count("fuzz inputs tried")
    status = client.get("/api/whoami/").status_code
    wristband.clear_faults()
    figures.count("500s", int(status == 500))
    assert status in (200, 401), status  # refreshed, or ended by the documented fatal path
    if status == 401:
        figures.count("sessions ended by a broken refresh answer (by design)")
        log_in(logged_in, wristband)  # the next example starts from a live session again


# Return URLs vary along the dimensions that once reached a 500: characters that NFKC-normalise
# into URL syntax, and non-ASCII text whose sealed size in bytes is far beyond its length.
confusables = "\uff0f\uff20\u2100\uff1f\uff03\uff1a\uff0e\u3002\u2044\u2215\uff3c"
return_url_text = st.text(
    alphabet=st.sampled_from(
        [*string.ascii_letters[:6], *"/?#@:.%-_~=&", *confusables, "\u00e9", "\U0001f4a5", "\u0130"]
    ),
    max_size=1023,
)
return_urls = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["/", "//", "http://testserver/", "https://evil.com/", "http://", ""]),
    return_url_text,
)


@fuzz
@given(return_url=return_urls)
def test_any_return_url_logs_in_without_a_500_or_an_open_redirect(
    wristband: FakeWristband, return_url: str
) -> None:
    client = Client(raise_request_exception=False)
    started = client.get("/auth/login/", {"tenant_name": "acme", "return_url": return_url})
    figures.count("fuzz inputs tried")
    figures.count("500s", int(started.status_code == 500))
    assert started.status_code == 302
    sizes = [
        login_state.cookie_bytes(name, morsel.value)
        for name, morsel in started.cookies.items()
        if name.startswith("login#") and morsel.value
    ]
    assert sizes and max(sizes) <= login_state.slot_budget(4096)
    callback = wristband.authorize(started["Location"])
    landed = client.get(callback.replace("http://testserver", ""))
    figures.count("500s", int(landed.status_code == 500))
    assert landed.status_code == 302
    target = urlsplit(landed["Location"])
    figures.count("open redirect attempts")
    assert target.netloc in ("", "testserver")


@fuzz
@given(
    pending=st.integers(min_value=0, max_value=3),
    tabs=st.lists(return_url_text.map(lambda text: "/" + text), min_size=1, max_size=8),
)
def test_concurrent_logins_never_exceed_three_cookies_or_the_budget(
    wristband: FakeWristband, pending: int, tabs: list[str]
) -> None:
    """Logins started at once in several tabs: each request sees the same cookies, and the
    browser applies the answers one after another (the worst interleaving). Each tab keeps a
    cookie of its own, and the next login leaves at most three, within the budget."""
    browser = Client(raise_request_exception=False)
    for index in range(pending):
        browser.get("/auth/login/", {"tenant_name": "acme", "return_url": f"/{'p' * 700}{index}"})
    snapshot = {name: morsel.value for name, morsel in browser.cookies.items()}
    answers = []
    for return_url in tabs:
        tab = Client(raise_request_exception=False)
        plant(tab, snapshot)
        answers.append(tab.get("/auth/login/", {"tenant_name": "acme", "return_url": return_url}))
        figures.count("fuzz inputs tried")
    figures.count("500s", sum(answer.status_code == 500 for answer in answers))
    assert all(answer.status_code == 302 for answer in answers)
    for answer in answers:
        browser.cookies.update(answer.cookies)
    own = {
        n for answer in answers for n, m in answer.cookies.items() if n[:6] == "login#" and m.value
    }
    assert len(own) == len(tabs)
    browser.get("/auth/login/", {"tenant_name": "acme"})  # the next login removes the oldest
    ours = {name: m.value for name, m in browser.cookies.items() if name.startswith("login#")}
    live = {name: value for name, value in ours.items() if value}
    assert len(live) <= 3
    assert sum(login_state.cookie_bytes(n, v) for n, v in live.items()) <= 4096
