"""Every problem of ``WRISTBAND_AUTH`` at once, each with an example of its own key and a link
to that key in the published reference (issue 25, point 4e and 4f)."""

from __future__ import annotations

import ast
import secrets
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from tests.docs.test_docs_links import page_anchors
from wristband_django.checks import TAG
from wristband_django.conf import AuthConfig, get_config, parse_auth_config
from wristband_django.conf.docs_links import DOCS_URL
from wristband_django.conf.parsing import SETTINGS, reference_url

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
BASE = {
    "client_id": "cid",
    "client_secret": "s" * 32,
    "wristband_application_vanity_domain": "app-co.us.wristband.dev",
}


class Environment(dict[str, str]):
    """``os.environ`` for the examples that read a secret from it: a fresh secret per name."""

    def __missing__(self, name: str) -> str:
        self[name] = secrets.token_urlsafe(32)
        return self[name]


def example_value(key: str) -> Any:
    """The value ``key``'s example stands for, as ``settings.py`` would compute it."""
    source = SETTINGS[key].example
    tree = ast.parse(source, mode="eval")
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert names <= {"os", "True", "False", "None"}, f"{key}'s example needs {names}"
    return eval(compile(tree, key, "eval"), {"os": SimpleNamespace(environ=Environment())})  # noqa: S307


def e002s() -> list[checks.CheckMessage]:
    messages = checks.run_checks(tags=[TAG])
    return [message for message in messages if message.id == "wristband_django.E002"]


#: The keys whose example needs others' (with their examples): without auto-configuration,
#: the URLs are required.
NEEDS = {"auto_configure_enabled": ("login_url", "redirect_uri")}


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_every_keys_example_parses(key: str) -> None:
    raw = {**BASE, **{other: example_value(other) for other in (key, *NEEDS.get(key, ()))}}
    assert isinstance(parse_auth_config(raw), AuthConfig)


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_every_key_has_an_anchor_in_the_reference(key: str) -> None:
    assert reference_url(key) == f"{DOCS_URL}configuration/#{key}"
    assert key in page_anchors(REFERENCE)


def test_a_lone_string_for_a_list_is_answered_with_that_keys_example(settings: Any) -> None:
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "protected_paths": "/api/"}
    [error] = e002s()
    assert error.msg == 'WRISTBAND_AUTH["protected_paths"] must be a list of strings, not str'
    assert error.hint == (
        f'For example "protected_paths": ["/api/"]. See {DOCS_URL}configuration/#protected_paths'
    )
    assert '["openid"]' not in f"{error.msg} {error.hint}"  # the scopes example, before


def test_a_likely_typo_is_answered_with_the_example_of_the_key_it_means(settings: Any) -> None:
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "protected_path": ["/api/"]}
    [error] = e002s()
    assert 'did you mean "protected_paths"?' in error.msg
    assert error.hint is not None and error.hint.endswith("configuration/#protected_paths")
    assert 'For example "protected_paths": ["/api/"]' in error.hint


def test_an_unknown_key_without_a_likely_one_links_the_reference(settings: Any) -> None:
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "zzz": 1}
    [error] = e002s()
    assert error.hint == f"See the configuration reference: {DOCS_URL}configuration/#reference"


def test_three_blank_credentials_are_three_problems_in_one_run(settings: Any) -> None:
    settings.WRISTBAND_AUTH = {
        "client_id": "",
        "client_secret": "",
        "wristband_application_vanity_domain": "",
        "connect_timeout": 0,
    }
    errors = e002s()
    assert [error.msg.split("]")[0] for error in errors] == [
        'WRISTBAND_AUTH["client_id"',
        'WRISTBAND_AUTH["client_secret"',
        'WRISTBAND_AUTH["wristband_application_vanity_domain"',
        'WRISTBAND_AUTH["connect_timeout"',
    ]
    assert all("is blank" in error.msg for error in errors[:3])
    assert errors[1].hint == (
        'For example "client_secret": os.environ["WRISTBAND_CLIENT_SECRET"]. '
        f"See {DOCS_URL}configuration/#client_secret"
    )
    with pytest.raises(ImproperlyConfigured) as raised:
        get_config()
    assert str(raised.value).splitlines() == [
        "WRISTBAND_AUTH has 4 problems:",
        *(f"- {error.msg}" for error in errors),
    ]


def test_problems_of_different_stages_are_all_named() -> None:
    """An unknown key, a missing one, a bad value and a combination of keys, all at once."""
    with pytest.raises(ImproperlyConfigured) as raised:
        parse_auth_config(
            {
                "clientId": "cid",
                "client_secret": "s" * 32,
                "wristband_application_vanity_domain": "https://app-co.us.wristband.dev",
                "scopes": ["email"],
                "refresh_timeout": 30,
                "refresh_lock_timeout": 20,
            }
        )
    message = str(raised.value)
    for expected in (
        'WRISTBAND_AUTH["clientId"] is not a known key; did you mean "client_id"?',
        'WRISTBAND_AUTH["client_id"] is required',
        'WRISTBAND_AUTH["wristband_application_vanity_domain"]',
        'WRISTBAND_AUTH["scopes"] must include "openid"',
        'WRISTBAND_AUTH["refresh_lock_timeout"] is 20 s, shorter than refresh_timeout',
    ):
        assert expected in message
    assert message.startswith("WRISTBAND_AUTH has 5 problems:")


def test_a_blank_client_secret_is_one_problem_not_two() -> None:
    """The login-state secret falls back on the client secret: no second problem for it."""
    with pytest.raises(ImproperlyConfigured) as raised:
        parse_auth_config({**BASE, "client_secret": " "})
    assert str(raised.value) == (
        'WRISTBAND_AUTH["client_secret"] is blank; set it to the value shown in the Wristband '
        "dashboard"
    )
