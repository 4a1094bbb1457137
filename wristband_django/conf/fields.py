"""One parser per kind of ``WRISTBAND_AUTH`` value: each returns the clean value or raises
``ImproperlyConfigured`` naming the key and the fix, never showing a secret's value."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from wristband_django.conf.hosts import DNS_LABEL, hostname_error, is_absolute_http_url

SETTING = "WRISTBAND_AUTH"
MIN_SECRET_LENGTH = 32
KEYGEN_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'


def _fail(key: str, problem: str, fix: str = "") -> ImproperlyConfigured:
    message = f'{SETTING}["{key}"] {problem}'
    return ImproperlyConfigured(f"{message}; {fix}" if fix else message)


def _typename(value: object) -> str:
    return type(value).__name__


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(key, f"must be a string, not {_typename(value)}")
    stripped: str = value.strip()
    if not stripped:
        raise _fail(key, "is blank", "set it to the value shown in the Wristband dashboard")
    return stripped


def _optional_string(key: str, value: Any) -> str | None:
    return None if value is None else _string(key, value)


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, f"must be True or False, not {_typename(value)} {value!r}")
    return value


def _optional_boolean(key: str, value: Any) -> bool | None:
    return None if value is None else _boolean(key, value)


def _positive_number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise _fail(key, f"must be a number of seconds greater than 0, not {value!r}")
    return float(value)


def _non_negative_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(key, f"must be a whole number of seconds, 0 or more, not {value!r}")
    return value


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _fail(key, f"must be a whole number greater than 0, not {value!r}")
    return value


def _bounded_int(key: str, value: Any, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(key, f"must be a whole number from {low} to {high}, not {value!r}")
    return value


def _choices(key: str, value: Any, *, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """A non-empty list of distinct values from ``allowed``, order kept (it is meaningful)."""
    items = _string_list(key, value)
    unknown = [item for item in items if item not in allowed]
    if not items or unknown or len(set(items)) != len(items):
        raise _fail(
            key,
            f"must be a non-empty list of distinct values from {list(allowed)}, not {value!r}",
        )
    return items


def _optional_string_list(key: str, value: Any) -> tuple[str, ...] | None:
    return None if value is None else _string_list(key, value)


def _string_list(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _fail(key, f"must be a list of strings, not {_typename(value)}", 'e.g. ["openid"]')
    return tuple(_string(key, item) for item in value)


def _host_list(key: str, value: Any, *, allow_port: bool = False) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(_host(key, item, allow_port=allow_port) for item in _string_list(key, value))


def _tenant_name(key: str, value: Any) -> str | None:
    if value is None:
        return None
    text = _string(key, value).lower()
    if not DNS_LABEL.match(text):
        raise _fail(key, f"must be a tenant domain name (letters, digits, hyphens), not {text!r}")
    return text


def _optional_host(key: str, value: Any) -> str | None:
    return None if value is None else _host(key, value)


def _return_url(key: str, value: Any) -> str:
    text = _string(key, value)
    if not (text.startswith("/") and not text.startswith("//")) and not is_absolute_http_url(text):
        raise _fail(key, f"must be a path such as /home or an absolute http(s) URL, not {text!r}")
    return text


def _path_patterns(key: str, value: Any) -> tuple[str, ...]:
    patterns = _string_list(key, value)
    for pattern in patterns:
        if pattern.startswith("^"):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise _fail(key, f"has an invalid regular expression {pattern!r} ({exc})") from exc
        elif not pattern.startswith("/"):
            raise _fail(
                key, f"entries are path prefixes such as /api/ or ^regexes, not {pattern!r}"
            )
    return patterns


def _absolute_url(key: str, value: Any) -> str | None:
    if value is None:
        return None
    text = _string(key, value)
    if not is_absolute_http_url(text):
        raise _fail(key, f"must be an absolute http(s) URL, not {text!r}")
    return text


def _host(key: str, value: Any, *, allow_port: bool = False, port_fix: str = "") -> str:
    text = _string(key, value).lower()
    problem = hostname_error(text, allow_port=allow_port)
    if problem:
        fix = port_fix if "port" in problem else ""
        raise _fail(key, f"{problem} (got {text!r})", fix)
    return text


def _secret_list(key: str, value: Any, *, fallback: tuple[str, ...]) -> tuple[str, ...]:
    """One secret or a list (newest first), each at least 32 characters."""
    if value is None:
        return fallback
    secrets = (_string(key, value),) if isinstance(value, str) else _string_list(key, value)
    if not secrets:
        raise _fail(key, "is an empty list", KEYGEN_HINT)
    for position, secret in enumerate(secrets):
        if len(secret) < MIN_SECRET_LENGTH:
            where = "" if isinstance(value, str) else f" (item {position})"
            raise _fail(
                key,
                f"must be at least {MIN_SECRET_LENGTH} characters{where}, got {len(secret)}",
                KEYGEN_HINT,
            )
    return secrets


def _login_state_secrets(value: Any, client_secret: str) -> tuple[str, ...]:
    key = "login_state_secret"
    if value is None:
        if len(client_secret) < MIN_SECRET_LENGTH:
            raise _fail(
                key,
                f"is not set and client_secret is shorter than {MIN_SECRET_LENGTH} characters, "
                "so it cannot stand in",
                KEYGEN_HINT,
            )
        return (client_secret,)
    return _secret_list(key, value, fallback=())
