"""The ``wristband`` template context: identity and URLs, never a token, never a call out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from tests.integration.context_urls import page
from tests.support.auth_helpers import expire_access_token, log_in, stored_entry
from wristband_django.testing import FakeWristband
from wristband_django.types import WristbandSession

pytestmark = pytest.mark.urls("tests.integration.context_urls")
PROCESSOR = "wristband_django.context_processors.wristband"
WRISTBAND_MIDDLEWARE = "wristband_django.middleware.WristbandAuthMiddleware"


@pytest.fixture(autouse=True)
def processor(settings: Any) -> None:
    engine = {**settings.TEMPLATES[0]}
    engine["OPTIONS"] = {
        "context_processors": [*engine["OPTIONS"]["context_processors"], PROCESSOR]
    }
    settings.TEMPLATES = [engine]


def assert_no_token(body: str, entry: WristbandSession) -> None:
    for token in (entry.access_token, entry.refresh_token):
        assert token and token[:20] not in body and token[-20:] not in body


def test_logged_in_page(client: Client, wristband: FakeWristband) -> None:
    log_in(client, wristband)
    body = client.get("/page/").content.decode()
    assert body.startswith(
        "in:usr_acme_admin|tnt_acme|acme|admin@acme.test|Acme Admin|/auth/login/|/auth/logout/|"
    )
    assert_no_token(body, stored_entry(client))


def test_anonymous_page(client: Client, wristband: FakeWristband) -> None:
    assert client.get("/page/").content.decode().startswith("out|/auth/login/|/auth/logout/|")


def test_without_middleware_reads_the_session_and_never_refreshes(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != WRISTBAND_MIDDLEWARE]
    log_in(client, wristband)
    entry = expire_access_token(client)
    assert entry.is_expired()
    wristband.reset_records()
    body = client.get("/page/").content.decode()
    assert body.startswith("in:usr_acme_admin|")
    assert wristband.requests == []
    assert_no_token(body, entry)


def test_lazy_a_page_that_does_not_use_it_does_not_touch_the_session(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != WRISTBAND_MIDDLEWARE]
    log_in(client, wristband)
    response = client.get("/plain/")
    assert response.content == b"no identity here"
    assert "Cookie" not in response.get("Vary", "")


def test_a_request_without_session_support(wristband: FakeWristband) -> None:
    request = RequestFactory().get("/page/")
    assert page(request).content.decode().startswith("out|/auth/login/|")
