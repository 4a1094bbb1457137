"""Requests prepared from a copy of their endpoint's prepared request are byte for byte what
requests itself prepares: the same method, URL, headers and body, for every form value and
header a call sends, and the same refusal of a header that would split the request."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from requests.auth import HTTPBasicAuth

from wristband_django.wristband.client import DEFAULT_HEADERS
from wristband_django.wristband.prepared import MAX_TEMPLATES, PreparedRequests

BASE = "https://acme-app.wristband.test/api/v1"
CREDENTIALS = HTTPBasicAuth("client-id", "a client secret with ünïcode: and spaces")


def by_requests(method: str, path: str, **kwargs: Any) -> requests.PreparedRequest:
    headers = kwargs.pop("headers", None) or {}
    request = requests.PreparedRequest()
    request.prepare(
        method=method, url=f"{BASE}{path}", headers={**DEFAULT_HEADERS, **headers}, **kwargs
    )
    return request


def same(left: requests.PreparedRequest, right: requests.PreparedRequest) -> bool:
    return (left.method, left.url, dict(left.headers), left.body) == (
        right.method,
        right.url,
        dict(right.headers),
        right.body,
    )


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(form=st.dictionaries(st.sampled_from(["code", "redirect_uri", "token", "x&y=z"]), texts))
def test_a_form_with_the_apps_credentials_is_what_requests_prepares(form: dict[str, str]) -> None:
    prepared = PreparedRequests(BASE, DEFAULT_HEADERS, CREDENTIALS)
    for _ in range(2):  # the first prepares the endpoint, the second copies it
        ours = prepared.prepare("POST", "/oauth2/token", auth=CREDENTIALS, data=form)
        assert same(ours, by_requests("POST", "/oauth2/token", auth=CREDENTIALS, data=form))


@settings(max_examples=100, deadline=None)
@given(token=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1))
def test_a_get_with_a_bearer_header_is_what_requests_prepares(token: str) -> None:
    prepared = PreparedRequests(BASE, DEFAULT_HEADERS, CREDENTIALS)
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(2):
        ours = prepared.prepare("GET", "/oauth2/userinfo", headers=headers)
        assert same(ours, by_requests("GET", "/oauth2/userinfo", headers=headers))


def test_none_values_are_left_out_as_requests_leaves_them_out() -> None:
    prepared = PreparedRequests(BASE, DEFAULT_HEADERS, CREDENTIALS)
    form = {"token": "abc", "token_type_hint": None}
    ours = prepared.prepare("POST", "/oauth2/revoke", auth=CREDENTIALS, data=form)
    assert same(ours, by_requests("POST", "/oauth2/revoke", auth=CREDENTIALS, data=form))
    assert ours.body == "token=abc"


@pytest.mark.parametrize("value", ["Bearer a\r\nX-Injected: 1", "Bearer a\nb", " Bearer a"])
def test_a_header_that_would_split_the_request_is_refused_as_requests_refuses_it(
    value: str,
) -> None:
    prepared = PreparedRequests(BASE, DEFAULT_HEADERS, CREDENTIALS)
    prepared.prepare("GET", "/oauth2/userinfo")  # the endpoint is prepared already
    with pytest.raises(requests.exceptions.InvalidHeader):
        by_requests("GET", "/oauth2/userinfo", headers={"Authorization": value})
    with pytest.raises(requests.exceptions.InvalidHeader):
        prepared.prepare("GET", "/oauth2/userinfo", headers={"Authorization": value})


def test_a_copy_changed_by_one_call_leaves_the_next_call_alone() -> None:
    prepared = PreparedRequests(BASE, DEFAULT_HEADERS, CREDENTIALS)
    first = prepared.prepare("GET", "/oauth2/userinfo", headers={"Authorization": "Bearer one"})
    first.headers["X-Changed"] = "yes"
    second = prepared.prepare("GET", "/oauth2/userinfo")
    assert "X-Changed" not in second.headers and "Authorization" not in second.headers


def test_other_credentials_and_json_bodies_are_prepared_in_full() -> None:
    prepared = PreparedRequests(BASE, DEFAULT_HEADERS, CREDENTIALS)
    machine = ("machine-client", "its secret")
    ours = prepared.prepare("POST", "/oauth2/token", auth=machine, data={"grant_type": "x"})
    assert same(ours, by_requests("POST", "/oauth2/token", auth=machine, data={"grant_type": "x"}))
    body = {"domainName": "login.acme.test"}
    ours = prepared.prepare("POST", "/custom-domains/validate", json=body)
    assert same(ours, by_requests("POST", "/custom-domains/validate", json=body))


def test_the_prepared_endpoints_are_bounded() -> None:
    prepared = PreparedRequests(BASE, DEFAULT_HEADERS, CREDENTIALS)
    for index in range(MAX_TEMPLATES * 3):
        prepared.prepare("GET", f"/path/{index}")
    assert len(prepared._prepared) == MAX_TEMPLATES
