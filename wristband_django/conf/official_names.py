"""The settings of Wristband's official package, wristband-django-auth 1.1.0, and what replaces
each one here.

Three things read this table: the message for an unknown ``WRISTBAND_AUTH`` key (an official
name that is not a key here says what replaces it, instead of a guess), the system check
``wristband_django.W010`` (an official top-level Django setting left in the settings), and
the migration guide, docs/migrating.md, whose table a test compares with this one.

The names come from the official package's source (github.com/wristband-dev/django-auth,
release 1.1.0): the fields of ``AuthConfig``, ``LoginConfig``, ``LogoutConfig`` and
``JWTAuthConfig`` in ``src/wristband/django_auth/models.py``, the arguments of
``create_auth_decorator()`` and ``create_auth_mixin()`` in ``src/wristband/django_auth/auth.py``,
``WRISTBAND_SESSION_SECRET`` in ``src/wristband/django_auth/sessions/backends/encrypted_cookies.py``
and ``WRISTBAND_AUTH_BACKEND_ADAPTER`` in
``src/wristband/django_auth/backends/auth/wristband_auth_backend.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DJANGO_SETTING",
    "OFFICIAL_NAMES",
    "OFFICIAL_PACKAGE",
    "OfficialName",
    "official_name",
    "pointer",
]

OFFICIAL_PACKAGE = "wristband-django-auth"
#: ``OfficialName.where`` of a top-level Django setting (``settings.WRISTBAND_...``).
DJANGO_SETTING = "settings"


@dataclass(frozen=True)
class OfficialName:
    """One setting of the official package and its replacement here.

    ``where`` says where the official package reads it: ``"WRISTBAND_AUTH"`` (a key of that
    dict, i.e. a field of its ``AuthConfig``), ``"settings"`` (a top-level Django setting), or
    the class or call it is an argument of (``"LoginConfig"``, ``"create_auth_decorator()"``).
    ``key`` is the
    ``WRISTBAND_AUTH`` key that replaces it here, ``None`` when no key does; ``instead`` says
    what to do then, or what differs when a key does.
    """

    name: str
    where: str
    key: str | None
    instead: str = ""

    @property
    def official(self) -> str:
        """Return the name as the official package's code spells it, e.g.
        ``LogoutConfig.redirect_url``, ``create_auth_decorator(strategies=...)`` or
        ``WRISTBAND_AUTH["scopes"]``."""
        if self.where == DJANGO_SETTING:
            return f"settings.{self.name}"
        if self.where == "WRISTBAND_AUTH":
            return f'WRISTBAND_AUTH["{self.name}"]'
        if self.where.endswith("()"):
            return f"{self.where[:-2]}({self.name}=...)"
        return f"{self.where}.{self.name}"


def _same(name: str, where: str = "WRISTBAND_AUTH", instead: str = "") -> OfficialName:
    """Return the entry of an official name that is a ``WRISTBAND_AUTH`` key here too."""
    return OfficialName(name, where, name, instead)


OFFICIAL_NAMES: tuple[OfficialName, ...] = (
    # AuthConfig: the official WRISTBAND_AUTH dict, AuthConfig(**settings.WRISTBAND_AUTH).
    _same("client_id"),
    _same("client_secret"),
    _same("wristband_application_vanity_domain"),
    _same("auto_configure_enabled"),
    _same("custom_application_login_page_url"),
    _same("dangerously_disable_secure_cookies"),
    _same("is_application_custom_domain_active"),
    _same("login_state_secret", instead="a list of secrets rotates it"),
    _same("login_url"),
    _same("parse_tenant_from_root_domain"),
    _same("redirect_uri"),
    _same("scopes", instead='must include "openid"'),
    _same("token_expiration_buffer"),
    # Arguments the official package takes in code, per call, that are settings here.
    _same("default_tenant_name", "LoginConfig"),
    _same("default_tenant_custom_domain", "LoginConfig"),
    OfficialName(
        "return_url",
        "LoginConfig",
        None,
        "override LoginView.get_return_url() (a login without one lands on default_return_url)",
    ),
    OfficialName(
        "custom_state", "LoginConfig", None, "return it from LoginView.get_custom_state()"
    ),
    OfficialName(
        "redirect_url",
        "LogoutConfig",
        "logout_redirect_url",
        "or per request, LogoutView.get_redirect_url()",
    ),
    OfficialName("state", "LogoutConfig", None, "return it from LogoutView.get_state()"),
    _same("jwks_cache_max_size", "JWTAuthConfig"),
    _same("jwks_cache_ttl", "JWTAuthConfig", instead="seconds, default 3600; None is refused"),
    OfficialName(
        "strategies",
        "create_auth_decorator()",
        None,
        'pass strategies=["session", "bearer"] to @wristband_required or set it on '
        'WristbandRequiredMixin (JWT is "bearer"), and protected_paths_strategies for '
        "the middleware's protected_paths",
    ),
    OfficialName(
        "on_unauthenticated",
        "create_auth_decorator()",
        None,
        "REDIRECT is redirect_to_login=True on @wristband_required or "
        "WristbandRequiredMixin, JSON their default (a 401 JSON answer)",
    ),
    # Top-level Django settings.
    OfficialName(
        "WRISTBAND_SESSION_SECRET",
        DJANGO_SETTING,
        None,
        "sessions are kept server-side by Django's cache, cached_db or db engine, and the "
        'tokens in them are encrypted with WRISTBAND_AUTH["token_encryption_key"] '
        "(default: SECRET_KEY)",
    ),
    OfficialName(
        "WRISTBAND_AUTH_BACKEND_ADAPTER",
        DJANGO_SETTING,
        "user_adapter",
        'with "authenticate_django_user": True, a subclass of '
        "wristband_django.user_adapter.UserAdapter",
    ),
)

_BY_NAME = {entry.name: entry for entry in OFFICIAL_NAMES}


def official_name(name: str) -> OfficialName | None:
    """Return the official package's entry for ``name``, or ``None`` if it has no such name."""
    return _BY_NAME.get(name)


def pointer(name: str) -> str | None:
    """Return what to tell someone who wrote ``name`` as a ``WRISTBAND_AUTH`` key that is not
    one here: whose name it is and what replaces it, e.g. ``"redirect_url" is
    wristband-django-auth's LogoutConfig.redirect_url; here it is "logout_redirect_url"``.
    Return ``None`` when ``name`` is none of the official package's names."""
    entry = official_name(name)
    if entry is None:
        return None
    said = f'"{name}" is {OFFICIAL_PACKAGE}\'s {entry.official}'
    if entry.key is None:
        return f"{said} and has no equivalent setting here: {entry.instead}"
    return f'{said}; here it is "{entry.key}"' + (f" ({entry.instead})" if entry.instead else "")
