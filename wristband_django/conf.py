"""``settings.WRISTBAND_AUTH`` → a frozen, validated ``AuthConfig``.

Parsing is lazy and follows the settings object, so ``override_settings`` works.
Every mistake raises ``ImproperlyConfigured`` naming the key and the fix; no
message ever contains a secret's value.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

SETTING = "WRISTBAND_AUTH"
MIN_SECRET_LENGTH = 32
TENANT_PLACEHOLDERS = ("{tenant_name}", "{tenant_domain}")
KEYGEN_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'

DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


@dataclass(frozen=True)
class AuthConfig:
    """The validated ``WRISTBAND_AUTH`` settings. See the README for each key."""

    client_id: str
    client_secret: str = field(repr=False)
    wristband_application_vanity_domain: str
    auto_configure_enabled: bool = True
    login_url: str | None = None
    redirect_uri: str | None = None
    parse_tenant_from_root_domain: str | None = None
    is_application_custom_domain_active: bool | None = None
    custom_application_login_page_url: str | None = None
    #: The login-state secrets, newest first: the first encrypts, all decrypt.
    login_state_secrets: tuple[str, ...] = field(default=(), repr=False)
    scopes: tuple[str, ...] = ("openid", "offline_access", "email")
    token_expiration_buffer: int = 60
    dangerously_disable_secure_cookies: bool = False
    dangerously_allow_http_idp: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    #: Total seconds one call to Wristband may take: connect, send, every byte of the answer.
    call_timeout: float = 10.0
    #: Total seconds for all of one callback's calls to Wristband (exchange, keys, userinfo).
    callback_timeout: float = 15.0
    default_return_url: str = "/"
    allowed_return_url_hosts: tuple[str, ...] = ()
    return_url_max_length: int = 1024
    default_tenant_name: str | None = None
    default_tenant_custom_domain: str | None = None
    tenant_custom_domains: tuple[str, ...] | None = None
    logout_redirect_url: str | None = None
    allow_logout_get: bool = False
    session_metadata_claims: tuple[str, ...] = ("email", "name", "tenant_name", "idp_name")
    protected_paths: tuple[str, ...] = ()
    refresh_max_attempts: int = 3
    refresh_timeout: float = 10.0
    #: How long a refresh lock lives; must outlast the refresh's whole deadline (default:
    #: ``refresh_timeout`` + ``DEFAULT_LOCK_MARGIN_SECONDS``).
    refresh_lock_timeout: float = 15.0
    lock_cache_alias: str | None = None
    jwks_cache_ttl: int = 3600
    custom_domain_cache_ttl: int = 300
    custom_domain_checks_per_minute: int = 60
    login_cookie_budget: int = 4096
    #: Token-encryption secrets, newest first; empty: Django's SECRET_KEY (+ fallbacks).
    token_encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    track_sessions: bool = True
    authenticate_django_user: bool = False
    user_adapter: str = "wristband_django.user_adapter.UserAdapter"

    @property
    def wristband_base_url(self) -> str:
        """``https://{vanity domain}`` (``http`` only with ``dangerously_allow_http_idp``)."""
        scheme = "http" if self.dangerously_allow_http_idp else "https"
        return f"{scheme}://{self.wristband_application_vanity_domain}"

    @property
    def issuer(self) -> str:
        """The ``iss`` every Wristband token for this application carries."""
        return self.wristband_base_url


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


def is_absolute_http_url(value: str) -> bool:
    """True for ``http(s)://host/...`` (a ``{tenant_name}`` placeholder counts as a host label)."""
    parts = urlsplit(fill_tenant_placeholder(value, "tenant"))
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def hostname_error(value: str, *, allow_port: bool) -> str | None:
    """Why ``value`` is not a bare host name (``None`` when it is one)."""
    bare = "must be a bare host name such as yourapp-yourco.us.wristband.dev (no scheme, no path)"
    if "/" in value:
        return bare
    host, sep, port = value.rpartition(":") if ":" in value else (value, "", "")
    if not _HOSTNAME.match(host.lower()):
        return bare
    if sep and not allow_port:
        return "must not contain a port"
    if sep and not (port.isdigit() and 0 < int(port) < 65536):
        return "has an invalid port"
    return None


def _host(key: str, value: Any, *, allow_port: bool = False, port_fix: str = "") -> str:
    text = _string(key, value).lower()
    problem = hostname_error(text, allow_port=allow_port)
    if problem:
        fix = port_fix if "port" in problem else ""
        raise _fail(key, f"{problem} (got {text!r})", fix)
    return text


def fill_tenant_placeholder(url: str, tenant_name: str) -> str:
    """Replace ``{tenant_name}`` (or the legacy ``{tenant_domain}``) in ``url``."""
    for placeholder in TENANT_PLACEHOLDERS:
        url = url.replace(placeholder, tenant_name)
    return url


def has_tenant_placeholder(url: str) -> bool:
    return any(placeholder in url for placeholder in TENANT_PLACEHOLDERS)


def check_tenant_placeholders(
    urls: Mapping[str, str | None], root_domain: str | None, *, source: str = ""
) -> None:
    """Tenant-subdomain URLs need ``parse_tenant_from_root_domain`` and the reverse."""
    for key, url in urls.items():
        if url is None:
            continue
        if root_domain and not has_tenant_placeholder(url):
            raise _fail(
                key,
                f"has no {{tenant_name}} placeholder{source}, but parse_tenant_from_root_domain "
                "is set",
                f"use e.g. https://{{tenant_name}}.{root_domain}/auth/... or remove "
                "parse_tenant_from_root_domain",
            )
        if not root_domain and has_tenant_placeholder(url):
            raise _fail(
                key,
                f"contains a tenant placeholder{source}, but parse_tenant_from_root_domain "
                "is not set",
                "set parse_tenant_from_root_domain to your root domain (e.g. yourapp.io) or "
                "remove the placeholder",
            )


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


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "client_id": _string,
    "client_secret": _string,
    "wristband_application_vanity_domain": _string,  # checked with its port rule below
    "auto_configure_enabled": _boolean,
    "login_url": _absolute_url,
    "redirect_uri": _absolute_url,
    "parse_tenant_from_root_domain": _optional_string,  # checked as a host below
    "is_application_custom_domain_active": _optional_boolean,
    "custom_application_login_page_url": _absolute_url,
    "login_state_secret": lambda key, value: value,  # needs client_secret; parsed below
    "scopes": _string_list,
    "token_expiration_buffer": _non_negative_int,
    "dangerously_disable_secure_cookies": _boolean,
    "dangerously_allow_http_idp": _boolean,
    "connect_timeout": _positive_number,
    "read_timeout": _positive_number,
    "call_timeout": _positive_number,
    "callback_timeout": _positive_number,
    "default_return_url": _return_url,
    "allowed_return_url_hosts": lambda key, value: _host_list(key, value, allow_port=True) or (),
    "return_url_max_length": _positive_int,
    "default_tenant_name": _tenant_name,
    "default_tenant_custom_domain": _optional_host,
    "tenant_custom_domains": _host_list,
    "logout_redirect_url": _absolute_url,
    "allow_logout_get": _boolean,
    "session_metadata_claims": _string_list,
    "protected_paths": _path_patterns,
    "refresh_max_attempts": _positive_int,
    "refresh_timeout": _positive_number,
    "refresh_lock_timeout": _positive_number,
    "lock_cache_alias": _optional_string,
    "jwks_cache_ttl": _positive_int,
    "custom_domain_cache_ttl": _positive_int,
    "custom_domain_checks_per_minute": _positive_int,
    "login_cookie_budget": _positive_int,
    "token_encryption_key": lambda key, value: _secret_list(key, value, fallback=()),
    "track_sessions": _boolean,
    "authenticate_django_user": _boolean,
    "user_adapter": _string,
}
SETTING_KEYS = frozenset(_PARSERS)
REQUIRED_KEYS = ("client_id", "client_secret", "wristband_application_vanity_domain")
#: Time a refresh lock must outlive the refresh deadline (the holder's own store writes),
#: and the margin it is given when ``refresh_lock_timeout`` is not set.
LOCK_MARGIN_SECONDS = 3.0
DEFAULT_LOCK_MARGIN_SECONDS = 5.0
#: Login cookies must leave room for the app's own under the common 8 KB header limit, and
#: hold three pending logins with a return URL.
LOGIN_COOKIE_BUDGET_RANGE = (4096, 6144)


def _camel_to_snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _unknown_key_error(key: str) -> ImproperlyConfigured:
    candidates = difflib.get_close_matches(_camel_to_snake(key), sorted(SETTING_KEYS), n=1)
    hint = f'did you mean "{candidates[0]}"?' if candidates else "see the README's settings table"
    return _fail(key, "is not a known key", hint)


def parse_auth_config(raw: Any) -> AuthConfig:
    """Validate a ``WRISTBAND_AUTH`` dict and build the ``AuthConfig``."""
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(
            f"settings.{SETTING} must be a dict, not {_typename(raw)}; see the README"
        )
    for key in raw:
        if key not in SETTING_KEYS:
            raise _unknown_key_error(str(key))
    for key in REQUIRED_KEYS:
        if key not in raw:
            raise _fail(
                key, "is required", "copy it from your application in the Wristband dashboard"
            )
    values = {key: _PARSERS[key](key, value) for key, value in raw.items()}

    http_ok = values.get("dangerously_allow_http_idp", False)
    values["wristband_application_vanity_domain"] = _host(
        "wristband_application_vanity_domain",
        values["wristband_application_vanity_domain"],
        allow_port=http_ok,
        port_fix="a port is only allowed with dangerously_allow_http_idp (tests and demos)",
    )
    if values.get("parse_tenant_from_root_domain") is not None:
        values["parse_tenant_from_root_domain"] = _host(
            "parse_tenant_from_root_domain",
            values["parse_tenant_from_root_domain"],
            port_fix="give the domain only (yourapp.io, not yourapp.io:8000); "
            "the port is taken from the request",
        )
    values["token_encryption_keys"] = values.pop("token_encryption_key", ())
    values["login_state_secrets"] = _login_state_secrets(
        values.pop("login_state_secret", None), values["client_secret"]
    )
    _check_bounds(values)
    if "scopes" in values and "openid" not in values["scopes"]:
        raise _fail("scopes", 'must include "openid"', 'e.g. ["openid", "offline_access", "email"]')
    if not values.get("auto_configure_enabled", True):
        for key in ("login_url", "redirect_uri"):
            if values.get(key) is None:
                raise _fail(
                    key, "is required when auto_configure_enabled is False", "set it explicitly"
                )
    root_domain = values.get("parse_tenant_from_root_domain")
    if root_domain is not None or not values.get("auto_configure_enabled", True):
        # Otherwise the root domain may still come from auto-configuration: checked after it.
        check_tenant_placeholders(
            {"login_url": values.get("login_url"), "redirect_uri": values.get("redirect_uri")},
            root_domain,
        )
    return AuthConfig(**values)


def _check_bounds(values: dict[str, Any]) -> None:
    """Combinations that would break a guarantee: a refresh outliving its lock (two refreshes
    of one session at once), a cookie budget too small for the pending logins."""
    refresh = values.get("refresh_timeout", AuthConfig.refresh_timeout)
    lock = values.setdefault("refresh_lock_timeout", refresh + DEFAULT_LOCK_MARGIN_SECONDS)
    if lock < refresh + LOCK_MARGIN_SECONDS:
        raise _fail(
            "refresh_lock_timeout",
            f"is {lock:g} s, shorter than refresh_timeout ({refresh:g} s) plus "
            f"{LOCK_MARGIN_SECONDS:g} s: a slow refresh would outlive its lock and a second "
            "request would present the same refresh token",
            f"set it to at least {refresh + LOCK_MARGIN_SECONDS:g}",
        )
    low, high = LOGIN_COOKIE_BUDGET_RANGE
    budget = values.get("login_cookie_budget", AuthConfig.login_cookie_budget)
    if not low <= budget <= high:
        raise _fail("login_cookie_budget", f"must be between {low} and {high} bytes, not {budget}")


_lock = threading.Lock()
_parsed: tuple[object, AuthConfig] | None = None
_cache_resetters: list[Callable[[], None]] = []


def register_cache_reset(reset: Callable[[], None]) -> None:
    """Run ``reset`` whenever ``WRISTBAND_AUTH`` changes: per-process caches derive from it."""
    _cache_resetters.append(reset)


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING:
        for reset in _cache_resetters:
            reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="wristband_django.conf")


def get_config() -> AuthConfig:
    """The ``AuthConfig`` for the current settings (re-parsed when they change)."""
    global _parsed
    raw = getattr(settings, SETTING, None)
    if raw is None:
        raise ImproperlyConfigured(
            f"settings.{SETTING} is missing; add a dict with client_id, client_secret and "
            "wristband_application_vanity_domain (see the README)"
        )
    cached = _parsed
    if cached is not None and cached[0] is raw:
        return cached[1]
    config = parse_auth_config(raw)
    with _lock:
        # Holding ``raw`` keeps its identity from being reused by another dict.
        _parsed = (raw, config)
    return config
