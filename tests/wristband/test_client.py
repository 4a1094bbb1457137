"""WristbandClient against the fake over real HTTP: success shapes and every failure mapping."""

from __future__ import annotations

import logging
import time

import pytest

from tests.support.network import free_port
from wristband_django.conf import parse_auth_config
from wristband_django.errors import (
    InvalidGrantError,
    InvalidResponseError,
    WristbandError,
    WristbandTimeoutError,
    WristbandUnavailableError,
)
from wristband_django.testing import FakeWristband
from wristband_django.wristband.client import WristbandClient


@pytest.fixture
def client(fake_wristband: FakeWristband) -> WristbandClient:
    settings = fake_wristband.auth_settings(connect_timeout=1, read_timeout=0.5)
    return WristbandClient(parse_auth_config(settings))


def test_sdk_configuration_is_fetched_with_basic_auth(
    client: WristbandClient, fake_wristband: FakeWristband
) -> None:
    body = client.sdk_configuration()
    assert body["loginUrl"] == fake_wristband.settings.login_url
    (call,) = fake_wristband.calls("sdk_configuration")
    assert call.headers["authorization"].startswith("Basic ")


def test_refresh_with_an_unknown_token_is_invalid_grant(client: WristbandClient) -> None:
    with pytest.raises(InvalidGrantError) as info:
        client.refresh("rt_unknown")
    assert info.value.error == "invalid_grant" and info.value.status == 400
    assert not info.value.retryable


def test_json_4xx_keeps_error_and_description(
    client: WristbandClient, fake_wristband: FakeWristband
) -> None:
    fake_wristband.inject(
        "token", status=401, json={"error": "invalid_client", "error_description": "bad secret"}
    )
    with pytest.raises(WristbandError) as info:
        client.refresh("rt_x")
    assert (info.value.error, info.value.error_description) == ("invalid_client", "bad secret")
    assert type(info.value) is WristbandError


def test_html_500_is_unavailable_and_does_not_echo_the_body(
    client: WristbandClient, fake_wristband: FakeWristband
) -> None:
    fake_wristband.inject(
        "jwks", status=502, body="<html>secret-ish page</html>", content_type="text/html"
    )
    with pytest.raises(WristbandUnavailableError) as info:
        client.jwks()
    assert info.value.retryable and info.value.status == 502
    assert info.value.error == "server_error"
    assert "secret-ish" not in str(info.value)
    assert "HTTP 502 with a non-JSON body" in info.value.error_description


def test_2xx_that_is_not_json_is_an_invalid_response(
    client: WristbandClient, fake_wristband: FakeWristband
) -> None:
    fake_wristband.inject("userinfo", status=200, body="hello", content_type="text/plain")
    with pytest.raises(InvalidResponseError):
        client.userinfo("whatever")


@pytest.mark.parametrize(
    "body",
    [
        {"token_type": "Bearer"},
        {"access_token": "a", "expires_in": "3600"},
        {"access_token": "a", "expires_in": -1},
        {"access_token": "a", "expires_in": True},
        {"access_token": "a", "expires_in": 60, "refresh_token": 7},
        ["not", "an", "object"],
    ],
)
def test_malformed_token_responses_are_rejected(
    client: WristbandClient, fake_wristband: FakeWristband, body: object
) -> None:
    fake_wristband.inject("token", status=200, json=body)
    with pytest.raises(InvalidResponseError):
        client.refresh("rt_x")


@pytest.mark.slow
def test_read_timeout_says_the_request_was_sent(
    client: WristbandClient, fake_wristband: FakeWristband
) -> None:
    fake_wristband.inject("token", delay=2.0)
    started = time.monotonic()
    with pytest.raises(WristbandTimeoutError) as info:
        client.refresh("rt_x")
    assert time.monotonic() - started < 1.5  # the configured 0.5 s read timeout, not the delay
    assert info.value.request_sent and info.value.retryable


def test_dropped_connection_is_unavailable(
    client: WristbandClient, fake_wristband: FakeWristband
) -> None:
    fake_wristband.inject("revoke", drop=True)
    with pytest.raises(WristbandUnavailableError) as info:
        client.revoke("rt_x")
    assert info.value.error == "connection_error"


def test_connection_refused_is_unavailable() -> None:
    port = free_port()  # nothing listens there
    config = parse_auth_config(
        {
            "client_id": "c",
            "client_secret": "s" * 32,
            "wristband_application_vanity_domain": f"localhost:{port}",
            "dangerously_allow_http_idp": True,
        }
    )
    with pytest.raises(WristbandUnavailableError):
        WristbandClient(config).jwks()


def test_custom_domain_validation(client: WristbandClient, fake_wristband: FakeWristband) -> None:
    assert client.is_tenant_custom_domain_valid("nobody.example") is False
    (call,) = fake_wristband.calls("validate_custom_domain")
    assert call.json == {"tenantCustomDomain": "nobody.example"}


def test_nothing_secret_is_logged(
    client: WristbandClient, fake_wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidGrantError):
        client.refresh("rt_do-not-log-me")
    client.revoke("rt_do-not-log-me-either")
    assert caplog.records  # it does log the calls...
    assert "do-not-log" not in caplog.text  # ...but never a token
    assert fake_wristband.client_secret not in caplog.text
