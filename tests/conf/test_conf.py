"""settings.WRISTBAND_AUTH → AuthConfig: defaults, laziness and every validation message."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from wristband_django.conf import AuthConfig, get_config, parse_auth_config
from wristband_django.conf.docs_links import docs_url

SECRET = "s" * 32
BASE = {
    "client_id": "cid",
    "client_secret": SECRET,
    "wristband_application_vanity_domain": "app-co.us.wristband.dev",
}


def parse(**changes: Any) -> AuthConfig:
    raw = {**BASE, **changes}
    return parse_auth_config({k: v for k, v in raw.items() if v is not DROP})


DROP = object()


def error_of(**changes: Any) -> str:
    with pytest.raises(ImproperlyConfigured) as info:
        parse(**changes)
    return str(info.value)


def test_minimal_config_gets_the_documented_defaults() -> None:
    config = parse()
    assert config.auto_configure_enabled is True
    assert config.scopes == ("openid", "offline_access", "email")
    assert config.token_expiration_buffer == 60
    assert config.dangerously_disable_secure_cookies is False
    assert config.login_state_secrets == (SECRET,)  # falls back to client_secret
    assert config.wristband_base_url == "https://app-co.us.wristband.dev"
    assert config.connect_timeout > 0 and config.read_timeout > 0


def test_config_is_frozen_and_never_shows_secrets_in_repr() -> None:
    config = parse(login_state_secret="L" * 40)
    with pytest.raises(AttributeError):
        config.client_id = "other"  # type: ignore[misc]
    assert SECRET not in repr(config) and "L" * 40 not in repr(config)


@pytest.mark.parametrize(
    "key", ["client_id", "client_secret", "wristband_application_vanity_domain"]
)
def test_missing_required_key_is_named(key: str) -> None:
    message = error_of(**{key: DROP})
    assert f'WRISTBAND_AUTH["{key}"] is required' in message


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_required_key_is_named(blank: str) -> None:
    assert 'WRISTBAND_AUTH["client_id"] is blank' in error_of(client_id=blank)


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("client_secrte", "client_secret"),
        ("clientId", "client_id"),
        ("loginStateSecret", "login_state_secret"),
        ("token_expiry_buffer", "token_expiration_buffer"),
    ],
)
def test_unknown_key_suggests_the_right_one(key: str, suggestion: str) -> None:
    message = error_of(**{key: "x"})
    assert f'WRISTBAND_AUTH["{key}"] is not a known key' in message
    assert f'did you mean "{suggestion}"?' in message


def test_unknown_key_without_a_close_match_links_the_published_reference() -> None:
    message = error_of(zzz=1)
    assert message.endswith("the keys are listed at " + docs_url("configuration", "reference"))
    assert "docs/" not in message and "README" not in message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("auto_configure_enabled", "yes", "must be True or False, not str"),
        ("dangerously_disable_secure_cookies", 1, "must be True or False, not int"),
        ("token_expiration_buffer", "60", "must be a whole number of seconds"),
        ("token_expiration_buffer", -1, "must be a whole number of seconds"),
        ("token_expiration_buffer", True, "must be a whole number of seconds"),
        ("scopes", "openid email", "must be a list of strings, not str"),
        ("read_timeout", 0, "must be a number of seconds greater than 0"),
        ("connect_timeout", None, "must be a number of seconds greater than 0"),
        ("client_id", 123, "must be a string, not int"),
        ("login_url", "/auth/login", "must be an absolute http(s) URL"),
        ("custom_application_login_page_url", "ftp://x.io", "must be an absolute http(s) URL"),
    ],
)
def test_wrong_type_names_the_key_and_the_expectation(key: str, value: Any, expected: str) -> None:
    message = error_of(**{key: value})
    assert f'WRISTBAND_AUTH["{key}"]' in message
    assert expected in message


def test_scopes_must_include_openid() -> None:
    assert 'must include "openid"' in error_of(scopes=["email"])


def test_short_login_state_secret_is_rejected_without_echoing_it() -> None:
    message = error_of(login_state_secret="short-secret")
    assert "at least 32 characters, got 12" in message
    assert "short-secret" not in message
    assert "secrets.token_urlsafe" in message


def test_short_client_secret_cannot_stand_in_for_the_login_state_secret() -> None:
    message = error_of(client_secret="abc")
    assert 'WRISTBAND_AUTH["login_state_secret"] is not set' in message
    assert parse(client_secret="abc", login_state_secret="x" * 32).login_state_secrets == (
        "x" * 32,
    )


def test_login_state_secret_list_allows_rotation() -> None:
    config = parse(login_state_secret=["n" * 32, "o" * 32])
    assert config.login_state_secrets == ("n" * 32, "o" * 32)
    assert "(item 1)" in error_of(login_state_secret=["n" * 32, "old"])
    assert "empty list" in error_of(login_state_secret=[])


@pytest.mark.parametrize("key", ["login_url", "redirect_uri"])
@pytest.mark.parametrize("placeholder", ["{tenant_name}", "{tenant_domain}"])
def test_placeholder_without_root_domain_is_rejected(key: str, placeholder: str) -> None:
    other = "redirect_uri" if key == "login_url" else "login_url"
    message = error_of(
        auto_configure_enabled=False,
        **{key: f"https://{placeholder}.app.io/auth/x", other: "https://app.io/auth/y"},
    )
    assert f'WRISTBAND_AUTH["{key}"] contains a tenant placeholder' in message
    assert "parse_tenant_from_root_domain" in message


def test_placeholder_may_wait_for_an_auto_configured_root_domain() -> None:
    config = parse(login_url="https://{tenant_name}.app.io/auth/login")
    assert config.parse_tenant_from_root_domain is None  # checked once Wristband answered


def test_root_domain_requires_placeholders() -> None:
    message = error_of(
        parse_tenant_from_root_domain="app.io",
        login_url="https://app.io/auth/login",
        redirect_uri="https://{tenant_name}.app.io/auth/callback",
    )
    assert 'WRISTBAND_AUTH["login_url"] has no {tenant_name} placeholder' in message


@pytest.mark.parametrize("placeholder", ["{tenant_name}", "{tenant_domain}"])
def test_root_domain_with_placeholders_is_accepted(placeholder: str) -> None:
    config = parse(
        parse_tenant_from_root_domain="App.IO",
        login_url=f"https://{placeholder}.app.io/auth/login",
        redirect_uri=f"https://{placeholder}.app.io/auth/callback",
    )
    assert config.parse_tenant_from_root_domain == "app.io"


def test_port_in_root_domain_is_rejected_with_the_fix() -> None:
    message = error_of(parse_tenant_from_root_domain="localhost:8000")
    assert 'WRISTBAND_AUTH["parse_tenant_from_root_domain"] must not contain a port' in message
    assert "the port is taken from the request" in message


@pytest.mark.parametrize(
    "value", ["https://app.wristband.dev", "app.wristband.dev/path", "a b.dev"]
)
def test_vanity_domain_must_be_a_bare_host(value: str) -> None:
    assert "must be a bare host name" in error_of(wristband_application_vanity_domain=value)


def test_vanity_domain_with_a_port_is_https_on_that_port() -> None:
    config = parse(wristband_application_vanity_domain="Auth.Example.test:8443")
    assert config.wristband_base_url == "https://auth.example.test:8443"
    assert config.issuer == "https://auth.example.test:8443"


def test_only_plain_http_needs_the_opt_in() -> None:
    assert parse(wristband_application_vanity_domain="localhost:8080").wristband_scheme == "https"
    config = parse(
        wristband_application_vanity_domain="localhost:8080", dangerously_allow_http_idp=True
    )
    assert config.wristband_base_url == "http://localhost:8080"


@pytest.mark.parametrize("value", ["auth.example.test:0", "auth.example.test:65536", "a.test:x"])
def test_vanity_domain_port_must_be_a_port(value: str) -> None:
    assert "has an invalid port" in error_of(wristband_application_vanity_domain=value)


def test_auto_configure_disabled_requires_login_and_redirect_urls() -> None:
    message = error_of(auto_configure_enabled=False)
    assert 'WRISTBAND_AUTH["login_url"] is required when auto_configure_enabled is False' in message


def test_settings_must_be_a_dict() -> None:
    with pytest.raises(ImproperlyConfigured, match="must be a dict, not list"):
        parse_auth_config([])


def test_get_config_is_lazy_and_follows_override_settings() -> None:
    first = get_config()
    assert get_config() is first  # parsed once
    with override_settings(WRISTBAND_AUTH={**BASE, "client_id": "other"}):
        assert get_config().client_id == "other"
    assert get_config().client_id == first.client_id


def test_get_config_follows_a_setting_changed_without_override_settings() -> None:
    # No setting_changed signal: the settings object itself is what get_config follows.
    from django.conf import settings as django_settings

    first = get_config()
    original = django_settings.WRISTBAND_AUTH
    try:
        django_settings.WRISTBAND_AUTH = {**original, "client_id": "assigned"}
        assert get_config().client_id == "assigned"
        django_settings.WRISTBAND_AUTH = original
        assert get_config() == first
        del django_settings.WRISTBAND_AUTH
        with pytest.raises(ImproperlyConfigured, match="WRISTBAND_AUTH is missing"):
            get_config()
    finally:
        django_settings.WRISTBAND_AUTH = original
    assert get_config() == first


def test_missing_setting_is_explained(settings: Any) -> None:
    del settings.WRISTBAND_AUTH
    with pytest.raises(ImproperlyConfigured, match="WRISTBAND_AUTH is missing"):
        get_config()


def test_bad_settings_surface_on_first_use_not_at_import() -> None:
    with (
        override_settings(WRISTBAND_AUTH={"client_id": "x"}),
        pytest.raises(ImproperlyConfigured, match="client_secret"),
    ):
        get_config()
