"""One parser per kind of ``WRISTBAND_AUTH`` value: each returns the clean value or raises
``ImproperlyConfigured`` naming the key and the fix, never showing a secret's value.

Every parser takes the key (for the message) and the value, so that ``conf.parsing.SETTINGS``
can name one per key.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from wristband_django.conf.hosts import DNS_LABEL, hostname_error, is_absolute_http_url

SETTING = "WRISTBAND_AUTH"
MIN_SECRET_LENGTH = 32
KEYGEN_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


class SettingProblem(ImproperlyConfigured):
    """One problem of one ``WRISTBAND_AUTH`` key: its message names the key and the fix.

    ``key`` is the key at fault; ``reference_key`` is the known key whose documentation and
    example help (the key itself, or the one an unknown key is a likely typo of), or ``None``
    when there is none. ``str()`` is the message."""

    def __init__(self, key: str, message: str, *, reference_key: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.reference_key = reference_key


def fail(
    key: str, problem: str, fix: str = "", *, reference_key: str | None = ""
) -> SettingProblem:
    """Return the error for ``key``: its problem, then the fix when there is one.

    ``reference_key`` (see ``SettingProblem``) defaults to ``key``."""
    message = f'{SETTING}["{key}"] {problem}'
    return SettingProblem(
        key,
        f"{message}; {fix}" if fix else message,
        reference_key=key if reference_key == "" else reference_key,
    )


def typename(value: object) -> str:
    """Return the name of ``value``'s type, as a message shows what was given."""
    return type(value).__name__


def unchecked(key: str, value: Any) -> Any:
    """Return ``value`` as it is, for a key checked later with the others it needs."""
    return value


def string(key: str, value: Any) -> str:
    """Return the string ``value`` stripped; a blank one is refused."""
    if not isinstance(value, str):
        raise fail(key, f"must be a string, not {typename(value)}")
    stripped: str = value.strip()
    if not stripped:
        raise fail(key, "is blank", "set it to the value shown in the Wristband dashboard")
    return stripped


def optional_string(key: str, value: Any) -> str | None:
    """Return ``None`` or the string ``value`` stripped."""
    return None if value is None else string(key, value)


def boolean(key: str, value: Any) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (not merely truthy)."""
    if not isinstance(value, bool):
        raise fail(key, f"must be True or False, not {typename(value)} {value!r}")
    return value


def optional_boolean(key: str, value: Any) -> bool | None:
    """Return ``None``, ``True`` or ``False``."""
    return None if value is None else boolean(key, value)


def positive_number(key: str, value: Any) -> float:
    """Return a number of seconds greater than 0 as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise fail(key, f"must be a number of seconds greater than 0, not {value!r}")
    return float(value)


def non_negative_int(key: str, value: Any) -> int:
    """Return a whole number of seconds, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(key, f"must be a whole number of seconds, 0 or more, not {value!r}")
    return value


def positive_int(key: str, value: Any) -> int:
    """Return a whole number greater than 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise fail(key, f"must be a whole number greater than 0, not {value!r}")
    return value


def bounded_int(key: str, value: Any, *, low: int, high: int) -> int:
    """Return a whole number from ``low`` to ``high``, both included."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise fail(key, f"must be a whole number from {low} to {high}, not {value!r}")
    return value


def choices(key: str, value: Any, *, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Return a non-empty list of distinct values from ``allowed``, keeping its meaningful order."""
    items = string_list(key, value)
    unknown = [item for item in items if item not in allowed]
    if not items or unknown or len(set(items)) != len(items):
        raise fail(
            key,
            f"must be a non-empty list of distinct values from {list(allowed)}, not {value!r}",
        )
    return items


def optional_string_list(key: str, value: Any) -> tuple[str, ...] | None:
    """Return ``None`` or a list of strings as a tuple."""
    return None if value is None else string_list(key, value)


def string_list(key: str, value: Any) -> tuple[str, ...]:
    """Return a list of strings as a tuple, each stripped; a lone string is refused."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise fail(key, f"must be a list of strings, not {typename(value)}")
    return tuple(string(key, item) for item in value)


def host_list(key: str, value: Any, *, allow_port: bool = False) -> tuple[str, ...] | None:
    """Return ``None`` or a list of host names (with a port if ``allow_port``), lowercased."""
    if value is None:
        return None
    return tuple(host(key, item, allow_port=allow_port) for item in string_list(key, value))


def tenant_name(key: str, value: Any) -> str | None:
    """Return ``None`` or a tenant's domain name (one DNS label), lowercased."""
    if value is None:
        return None
    text = string(key, value).lower()
    if not DNS_LABEL.match(text):
        raise fail(key, f"must be a tenant domain name (letters, digits, hyphens), not {text!r}")
    return text


def optional_host(key: str, value: Any) -> str | None:
    """Return ``None`` or a host name without a port, lowercased."""
    return None if value is None else host(key, value)


def return_url(key: str, value: Any) -> str:
    """Return a local path (``/home``, not ``//host``) or an absolute http(s) URL."""
    text = string(key, value)
    if not (text.startswith("/") and not text.startswith("//")) and not is_absolute_http_url(text):
        raise fail(key, f"must be a path such as /home or an absolute http(s) URL, not {text!r}")
    return text


def path_patterns(key: str, value: Any) -> tuple[str, ...]:
    """Return a list of path prefixes (``/api/``) and regular expressions (``^/reports/``).

    Each regular expression is compiled once to check it.
    """
    patterns = string_list(key, value)
    for pattern in patterns:
        if pattern.startswith("^"):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise fail(key, f"has an invalid regular expression {pattern!r} ({exc})") from exc
        elif not pattern.startswith("/"):
            raise fail(key, f"entries are path prefixes such as /api/ or ^regexes, not {pattern!r}")
    return patterns


def absolute_url(key: str, value: Any) -> str | None:
    """Return ``None`` or an absolute http(s) URL."""
    if value is None:
        return None
    text = string(key, value)
    if not is_absolute_http_url(text):
        raise fail(key, f"must be an absolute http(s) URL, not {text!r}")
    return text


def host(key: str, value: Any, *, allow_port: bool = False, port_fix: str = "") -> str:
    """Return a host name (with a port if ``allow_port``), lowercased.

    ``port_fix`` is the fix that a message gives for a port that is not allowed.
    """
    text = string(key, value).lower()
    problem = hostname_error(text, allow_port=allow_port)
    if problem:
        fix = port_fix if "port" in problem else ""
        raise fail(key, f"{problem} (got {text!r})", fix)
    return text


def ca_bundle(key: str, value: Any) -> str | None:
    """Return ``None`` or the path of a CA bundle, stripped.

    Whether the file exists is checked when a call is made, as requests does.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise fail(key, "must be the path of a PEM file of CA certificates, or None")
    return value.strip()


def secret_list(key: str, value: Any, *, fallback: tuple[str, ...]) -> tuple[str, ...]:
    """Return one secret or a list of them (newest first) as a tuple.

    Each secret must be at least ``MIN_SECRET_LENGTH`` characters long. Return ``fallback``
    when ``value`` is ``None``.
    """
    if value is None:
        return fallback
    secrets = (string(key, value),) if isinstance(value, str) else string_list(key, value)
    if not secrets:
        raise fail(key, "is an empty list", KEYGEN_HINT)
    for position, secret in enumerate(secrets):
        if len(secret) < MIN_SECRET_LENGTH:
            where = "" if isinstance(value, str) else f" (item {position})"
            raise fail(
                key,
                f"must be at least {MIN_SECRET_LENGTH} characters{where}, got {len(secret)}",
                KEYGEN_HINT,
            )
    return secrets


def login_state_secrets(value: Any, client_secret: str) -> tuple[str, ...]:
    """Return the ``login_state_secret`` secrets, or ``client_secret`` alone in their place.

    The client secret stands in when the key is not set and it is long enough.
    """
    key = "login_state_secret"
    if value is None:
        if len(client_secret) < MIN_SECRET_LENGTH:
            raise fail(
                key,
                f"is not set and client_secret is shorter than {MIN_SECRET_LENGTH} characters, "
                "so it cannot stand in",
                KEYGEN_HINT,
            )
        return (client_secret,)
    return secret_list(key, value, fallback=())
