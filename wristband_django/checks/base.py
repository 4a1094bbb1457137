"""The settings and middleware checks, and what every check shares.

Their messages and hints are in the active language (``manage.py check`` runs in
``LANGUAGE_CODE``); check ids, setting names and dotted paths are not translated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from wristband_django.conf import (
    SETTING,
    AuthConfig,
    InvalidSettings,
    SettingProblem,
    parse_auth_config,
)
from wristband_django.conf.docs_links import docs_url
from wristband_django.conf.parsing import SETTINGS, reference_url

TAG = "wristband"
WRISTBAND_MIDDLEWARE = "wristband_django.middleware.WristbandAuthMiddleware"
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"

AppConfigs = Sequence[AppConfig] | None


def check_id(code: str) -> str:
    """Return the id of this app's check ``code``, e.g. ``wristband_django.E001``."""
    return f"wristband_django.{code}"


def parsed_config() -> AuthConfig | None:
    """Return the parsed settings, or ``None`` when they are missing or invalid (E001/E002
    say why)."""
    try:
        return parse_auth_config(getattr(settings, SETTING, None))
    except ImproperlyConfigured:
        return None


def is_subclass_path(path: str, base_path: str) -> bool:
    """Return whether the class at dotted ``path`` is, or subclasses, the one at
    ``base_path`` (``False`` when either cannot be imported, whatever the error)."""
    if path == base_path:
        return True
    try:
        candidate, base = import_string(path), import_string(base_path)
    except Exception:  # importing can fail any way (a model of an app not installed...)
        return False  # and a check must never crash manage.py
    return isinstance(candidate, type) and issubclass(candidate, base)


def middleware_position(middleware: Sequence[str], base_path: str) -> int | None:
    """Return the index of ``base_path`` (or a subclass) in ``middleware``, else ``None``."""
    return next((i for i, path in enumerate(middleware) if is_subclass_path(path, base_path)), None)


def setting_hint(problem: SettingProblem) -> str:
    """Return the hint for a problem of ``WRISTBAND_AUTH``: an example of the key it is about
    (the one an unknown key likely meant) and the link to that key in the reference."""
    key = problem.reference_key
    url = reference_url(key)
    if key is None or not SETTINGS[key].example:
        return _("See the configuration reference: %(url)s") % {"url": url}
    return _("For example %(example)s. See %(url)s") % {
        "example": SETTINGS[key].example_line(key),
        "url": url,
    }


def settings_problems() -> list[SettingProblem] | None:
    """Return every problem of ``WRISTBAND_AUTH``: none when it is valid, ``None`` when it
    is missing."""
    raw = getattr(settings, SETTING, None)
    if raw is None:
        return None
    try:
        parse_auth_config(raw)
    except InvalidSettings as exc:
        return list(exc.problems)
    except ImproperlyConfigured as exc:  # not a dict
        return [SettingProblem(SETTING, str(exc))]
    return []


def check_settings(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that ``WRISTBAND_AUTH`` is set (E001) and valid: an E002 per problem, with the
    parser's message, an example and a link to the key's reference."""
    problems = settings_problems()
    if problems is None:
        return [
            Error(
                _("settings.%(setting)s is missing.") % {"setting": SETTING},
                hint=_(
                    "Add a dict with client_id, client_secret and "
                    "wristband_application_vanity_domain (see %(url)s)."
                )
                % {"url": docs_url("quickstart")},
                id=check_id("E001"),
            )
        ]
    return [
        Error(problem.message, hint=setting_hint(problem), id=check_id("E002"))
        for problem in problems
    ]


def check_middleware(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Check the session and Wristband middleware, and their order (E003/E004/E005/W001)."""
    middleware = list(settings.MIDDLEWARE)
    sessions = middleware_position(middleware, SESSION_MIDDLEWARE)
    wristband = middleware_position(middleware, WRISTBAND_MIDDLEWARE)
    messages: list[CheckMessage] = []
    if sessions is None:
        messages.append(
            Error(
                _("%(middleware)s is not in MIDDLEWARE.") % {"middleware": SESSION_MIDDLEWARE},
                hint=_("Wristband sessions live in request.session: add SessionMiddleware."),
                id=check_id("E003"),
            )
        )
    if wristband is None:
        config = parsed_config()
        if config is not None and config.protected_paths:
            messages.append(
                Error(
                    _(
                        "protected_paths is set but WristbandAuthMiddleware is not in "
                        "MIDDLEWARE, so those paths are NOT protected."
                    ),
                    hint=_("Add '%(middleware)s' after SessionMiddleware.")
                    % {"middleware": WRISTBAND_MIDDLEWARE},
                    id=check_id("E005"),
                )
            )
        else:
            messages.append(
                Warning(
                    _("WristbandAuthMiddleware is not in MIDDLEWARE."),
                    hint=_(
                        "Add '%(middleware)s' after SessionMiddleware. Without it "
                        "@wristband_required, WristbandRequiredMixin and the DRF classes still "
                        "work, but other views get no transparent refresh (request.wristband "
                        "may hold an expired access token)."
                    )
                    % {"middleware": WRISTBAND_MIDDLEWARE},
                    id=check_id("W001"),
                )
            )
    elif sessions is not None and wristband < sessions:
        messages.append(
            Error(
                _("WristbandAuthMiddleware comes before SessionMiddleware in MIDDLEWARE."),
                hint=_("Move it after SessionMiddleware: it reads and refreshes request.session."),
                id=check_id("E004"),
            )
        )
    return messages


def check_debug_only_flags(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Check for the ``dangerously_*`` flags with ``DEBUG = False`` (E006/W005)."""
    config = parsed_config()
    if config is None or settings.DEBUG:
        return []
    messages: list[CheckMessage] = []
    if config.dangerously_allow_http_idp:
        messages.append(
            Error(
                _("dangerously_allow_http_idp is True while DEBUG is False."),
                hint=_(
                    "Production must talk https to the identity provider (real Wristband is "
                    "https-only); the flag is for wristband_django.testing's fake Wristband, "
                    "which logs anyone in as anyone, and local demos. If these are test "
                    "settings that run the fake on purpose, add 'wristband_django.E006' to "
                    "SILENCED_SYSTEM_CHECKS."
                ),
                id=check_id("E006"),
            )
        )
    if config.dangerously_disable_secure_cookies:
        messages.append(
            Warning(
                _("dangerously_disable_secure_cookies is True while DEBUG is False."),
                hint=_(
                    "The login-state cookie would also travel over plain http. Remove the "
                    "flag in production (serve the site over https)."
                ),
                id=check_id("W005"),
            )
        )
    return messages


def check_logout_csrf(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Check that a POST-only logout has ``CsrfViewMiddleware`` in ``MIDDLEWARE`` (E011)."""
    config = parsed_config()
    if config is None or config.allow_logout_get:
        return []
    if middleware_position(list(settings.MIDDLEWARE), CSRF_MIDDLEWARE) is not None:
        return []
    return [
        Error(
            _(
                "Logout is POST-only (allow_logout_get is False) but CsrfViewMiddleware is not "
                "in MIDDLEWARE."
            ),
            hint=_(
                "Add '%(middleware)s'. LogoutView checks the CSRF token itself, so a logout "
                "POST needs the csrftoken cookie, and front ends get it from the middleware: "
                "without it, {%% csrf_token %%} and get_token() set no cookie and logging out "
                "is refused with 403."
            )
            % {"middleware": CSRF_MIDDLEWARE},
            id=check_id("E011"),
        )
    ]
