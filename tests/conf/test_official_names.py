"""wristband-django-auth's settings: each is a key here, or refused with what replaces it; a
leftover top-level one is named by ``manage.py check`` (W010), with its replacement."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from wristband_django import checks as wristband_checks
from wristband_django.conf import SETTING_KEYS, parse_auth_config
from wristband_django.conf.official_names import DJANGO_SETTING, OFFICIAL_NAMES, pointer

BASE = {
    "client_id": "c",
    "client_secret": "s" * 32,
    "wristband_application_vanity_domain": "app-co.us.wristband.dev",
}
#: The fields of the official AuthConfig, with their defaults there
#: (src/wristband/django_auth/models.py in wristband-django-auth 1.1.0).
OFFICIAL_AUTH_CONFIG_DEFAULTS = {
    "auto_configure_enabled": True,
    "custom_application_login_page_url": None,
    "dangerously_disable_secure_cookies": False,
    "is_application_custom_domain_active": None,
    "login_state_secret": None,
    "login_url": None,
    "parse_tenant_from_root_domain": None,
    "redirect_uri": None,
    "scopes": ["openid", "offline_access", "email"],
    "token_expiration_buffer": 60,
}


def error_of(key: str) -> str:
    with pytest.raises(ImproperlyConfigured) as caught:
        parse_auth_config({**BASE, key: "x"})
    return str(caught.value)


def leftovers() -> list[checks.CheckMessage]:
    """The W010 messages of a run of this app's checks (registered by ``ready()``)."""
    messages = checks.run_checks(tags=[wristband_checks.TAG])
    return [message for message in messages if message.id == "wristband_django.W010"]


def test_every_field_of_the_official_auth_config_is_listed_and_is_a_key_here() -> None:
    listed = {entry.name for entry in OFFICIAL_NAMES if entry.where == "WRISTBAND_AUTH"}
    assert listed == set(BASE) | set(OFFICIAL_AUTH_CONFIG_DEFAULTS)
    assert listed <= SETTING_KEYS


def test_an_official_settings_dict_with_every_default_written_out_carries_over() -> None:
    config = parse_auth_config({**BASE, **OFFICIAL_AUTH_CONFIG_DEFAULTS})
    assert config.scopes == ("openid", "offline_access", "email")
    assert config.token_expiration_buffer == 60


@pytest.mark.parametrize("entry", OFFICIAL_NAMES, ids=lambda entry: entry.official)
def test_each_official_name_is_a_key_here_or_refused_with_its_replacement(entry: Any) -> None:
    if entry.key is not None:
        assert entry.key in SETTING_KEYS  # the replacement exists
    if entry.name in SETTING_KEYS:
        assert entry.key == entry.name  # accepted, with the same meaning
        return
    message = error_of(entry.name)
    assert message.startswith(f'WRISTBAND_AUTH["{entry.name}"] is not a known key; ')
    assert f'"{entry.name}" is wristband-django-auth\'s {entry.official}' in message
    if entry.key is None:
        assert f"has no equivalent setting here: {entry.instead}" in message
    else:
        assert f'here it is "{entry.key}"' in message


def test_an_official_name_is_explained_rather_than_taken_for_a_typo() -> None:
    message = error_of("on_unauthenticated")
    assert "redirect_to_login=True" in message
    assert "authenticate_django_user" not in message  # the old guess
    assert "create_auth_decorator(on_unauthenticated=...)" in message


def test_an_official_name_that_is_also_a_likely_typo_names_both() -> None:
    message = error_of("redirect_url")
    assert 'here it is "logout_redirect_url"' in message
    assert message.endswith('or did you mean "redirect_uri"?')


def test_other_unknown_keys_keep_their_did_you_mean() -> None:
    assert pointer("clientId") is None
    assert error_of("clientId").endswith('did you mean "client_id"?')


def test_a_project_without_official_settings_gets_no_leftover_warning() -> None:
    assert leftovers() == []


@pytest.mark.parametrize(
    "entry",
    [entry for entry in OFFICIAL_NAMES if entry.where == DJANGO_SETTING],
    ids=lambda entry: entry.name,
)
def test_a_leftover_official_django_setting_is_named_with_its_replacement(
    settings: Any, entry: Any
) -> None:
    setattr(settings, entry.name, "x" * 32)
    [message] = leftovers()
    assert isinstance(message, checks.Warning)
    assert f"settings.{entry.name} is wristband-django-auth's setting" in message.msg
    replacement = f'WRISTBAND_AUTH["{entry.key}"]' if entry.key else "no equivalent"
    assert replacement in message.hint
    assert entry.instead in message.hint


def test_the_official_session_engine_is_named(settings: Any) -> None:
    settings.SESSION_ENGINE = "wristband.django_auth.sessions.backends.encrypted_cookies"
    [message] = leftovers()
    assert "encrypted-cookie engine" in message.msg
    assert "django.contrib.sessions.backends.cache" in message.hint


def test_the_official_backend_is_named_with_this_apps(settings: Any) -> None:
    settings.AUTHENTICATION_BACKENDS = [
        "wristband.django_auth.WristbandAuthBackend",
        "wristband_django.backends.WristbandBackend",
    ]
    [message] = leftovers()
    assert "'wristband.django_auth.WristbandAuthBackend'" in message.msg
    assert "'wristband_django.backends.WristbandBackend'" in message.hint
