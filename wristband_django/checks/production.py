"""The deployment check of the login URLs: plain ``http`` in production (W012)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.utils.translation import gettext as _

from wristband_django.checks.base import AppConfigs, check_id, parsed_config
from wristband_django.conf.docs_links import docs_url


def check_http_login_urls(app_configs: AppConfigs = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn of an ``http://`` ``login_url`` or ``redirect_uri`` with ``DEBUG = False`` (W012,
    deployment).

    Only the settings are read: values that auto-configuration would fill in come from
    Wristband, and a system check makes no network call (``wristband_check`` shows them).
    Settings for the fake Wristband (``dangerously_allow_http_idp``) get E006 instead: test
    settings that silence it run the fake, over http, on purpose."""
    config = parsed_config()
    if config is None or settings.DEBUG or config.dangerously_allow_http_idp:
        return []
    urls = {"login_url": config.login_url, "redirect_uri": config.redirect_uri}
    return [
        Warning(
            _("%(key)s is %(url)s, plain http, while DEBUG is False.") % {"key": key, "url": url},
            hint=_(
                "Wristband sends the browser there with the authorization code, and the login "
                "cookies are Secure: over plain http a login leaks its code and loses its "
                "state. Use https (behind a proxy that ends TLS, also set "
                "SECURE_PROXY_SSL_HEADER): %(url)s"
            )
            % {"url": docs_url("deployment", "https-and-reverse-proxies")},
            id=check_id("W012"),
        )
        for key, url in urls.items()
        if url is not None and url.lower().startswith("http://")
    ]
