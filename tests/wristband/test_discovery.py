"""Auto-configuration: precedence, laziness, single fetch, failure and backoff."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from wristband_django import discover
from wristband_django.errors import WristbandError
from wristband_django.testing import FakeWristband
from wristband_django.wristband.auto_configuration import get_sdk_configuration

FAKE_VALUES = {
    "login_url": "http://{tenant_name}.app.test/auth/login",
    "redirect_uri": "http://{tenant_name}.app.test/auth/callback",
    "custom_application_login_page_url": "http://discover.app.test/",
    "login_url_tenant_domain_suffix": "app.test",
    "is_application_custom_domain_active": True,
}

pytestmark = pytest.mark.fake_wristband(**FAKE_VALUES)


def test_missing_values_come_from_wristband(wristband: FakeWristband) -> None:
    sdk = discover()
    assert sdk.login_url == FAKE_VALUES["login_url"]
    assert sdk.redirect_uri == FAKE_VALUES["redirect_uri"]
    assert sdk.parse_tenant_from_root_domain == "app.test"
    assert sdk.custom_application_login_page_url == "http://discover.app.test/"
    assert sdk.is_application_custom_domain_active is True


def test_manual_values_win(wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        login_url="https://app.test/in",
        redirect_uri="https://app.test/cb",
        parse_tenant_from_root_domain=None,
        is_application_custom_domain_active=False,
        custom_application_login_page_url="https://mine.test/",
    )
    # All five given (None counts as "not given" for the root domain), so one fetch fills it in.
    with pytest.raises(ImproperlyConfigured, match=r"has no \{tenant_name\} placeholder"):
        discover()  # Wristband's root domain + our placeholder-less URLs: caught, with the source
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        login_url="https://{tenant_name}.app.test/in",
        redirect_uri="https://{tenant_name}.app.test/cb",
        is_application_custom_domain_active=False,
        custom_application_login_page_url="https://mine.test/",
    )
    sdk = discover()
    assert sdk.login_url == "https://{tenant_name}.app.test/in"
    assert sdk.is_application_custom_domain_active is False
    assert sdk.custom_application_login_page_url == "https://mine.test/"


def test_fetch_is_lazy_and_happens_once(wristband: FakeWristband) -> None:
    assert not wristband.calls("sdk_configuration")  # settings alone fetch nothing
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        get_sdk_configuration()

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    discover()
    assert len(wristband.calls("sdk_configuration")) == 1


def test_disabled_auto_configuration_never_calls_wristband(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        auto_configure_enabled=False,
        login_url="https://app.test/auth/login",
        redirect_uri="https://app.test/auth/callback",
    )
    sdk = discover()
    assert sdk.is_application_custom_domain_active is False
    assert sdk.parse_tenant_from_root_domain is None
    assert not wristband.calls("sdk_configuration")


@pytest.mark.slow
def test_failure_is_a_clear_error_and_backs_off(wristband: FakeWristband) -> None:
    wristband.inject("sdk_configuration", status=500, times=None)
    with pytest.raises(WristbandError) as first:
        discover()
    assert first.value.retryable
    started = time.monotonic()
    with pytest.raises(WristbandError, match="backing off") as backing_off:
        discover()
    assert backing_off.value.retryable  # still an outage: the Login endpoint answers 503
    assert time.monotonic() - started < 0.1  # no network wait during the backoff
    assert len(wristband.calls("sdk_configuration")) == 1
    wristband.clear_faults()
    time.sleep(1.05)  # the first backoff is one second
    assert discover().login_url == FAKE_VALUES["login_url"]  # not cached forever
    assert len(wristband.calls("sdk_configuration")) == 2


@pytest.mark.slow
def test_unreachable_wristband_fails_within_the_connect_timeout(settings: Any) -> None:
    with FakeWristband() as fake:
        settings.WRISTBAND_AUTH = fake.auth_settings(connect_timeout=0.5, read_timeout=0.5)
        fake.inject("sdk_configuration", delay=3.0)
        started = time.monotonic()
        with pytest.raises(WristbandError, match="timeout"):
            discover()
        assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"loginUrl": 5}, "loginUrl is not a str"),
        ({"loginUrl": "/relative", "redirectUri": "http://x/cb"}, "not an absolute"),
        ({"loginUrlTenantDomainSuffix": "a b"}, "not a host name"),
        ({"isApplicationCustomDomainActive": "yes"}, "is not a bool"),
    ],
)
def test_garbage_from_wristband_is_an_error_not_a_crash(
    wristband: FakeWristband, body: dict[str, Any], message: str
) -> None:
    wristband.inject("sdk_configuration", status=200, json=body)
    with pytest.raises(WristbandError, match=message):
        discover()


def test_missing_required_values_everywhere_are_named(wristband: FakeWristband) -> None:
    wristband.inject("sdk_configuration", status=200, json={})
    with pytest.raises(ImproperlyConfigured, match='WRISTBAND_AUTH\\["login_url"\\] is not set'):
        discover()
