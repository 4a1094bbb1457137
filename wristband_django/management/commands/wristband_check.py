"""``manage.py wristband_check``: are the settings valid, and does Wristband answer?

Validates ``WRISTBAND_AUTH``, runs this app's system checks (deployment ones included),
resolves the configuration (fetching Wristband's sdk-configuration when auto-configuration
needs it) and fetches the JWKS. Shows the route the calls take (proxy, CA bundle, and the
setting or environment variable each came from), so that a TLS or proxy failure can be told
apart from Wristband's own. Exits non-zero on any failure. Never prints a secret (a proxy's
credentials are redacted).
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from wristband_django.checks import TAG
from wristband_django.conf import AuthConfig, get_config
from wristband_django.errors import WristbandError
from wristband_django.wristband.auto_configuration import get_sdk_configuration
from wristband_django.wristband.client import get_client


def describe(exc: WristbandError) -> str:
    """Describe ``exc`` as ``error: description (HTTP status)``, in Wristband's words.

    The description never holds a token or secret."""
    text = f"{exc.error}: {exc.error_description}" if exc.error_description else exc.error
    return f"{text} (HTTP {exc.status})" if exc.status else text


class Command(BaseCommand):
    help = "Check the Wristband settings and that Wristband answers (sdk-configuration, JWKS)."
    requires_system_checks: list[str] = []  # reported below, as lines of this command

    def handle(self, *args: Any, **options: Any) -> None:
        self.failures = 0
        try:
            config = get_config()
        except ImproperlyConfigured as exc:
            self.fail(f"settings are invalid: {exc}")
            raise CommandError("1 check failed") from None
        self.ok("settings are valid")
        self.stdout.write(
            f"  Wristband application: {config.issuer} (client_id {config.client_id})"
        )
        self.stdout.write(f"  network: {get_client(config).route}")
        self.system_checks()
        self.sdk_configuration(config)
        self.jwks(config)
        if self.failures:
            raise CommandError(f"{self.failures} check(s) failed")
        self.stdout.write(self.style.SUCCESS("All Wristband checks passed."))

    def ok(self, text: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"✓ {text}"))

    def fail(self, text: str) -> None:
        self.failures += 1
        self.stderr.write(f"✗ {text}")

    def system_checks(self) -> None:
        messages = [
            message
            for message in checks.run_checks(tags=[TAG], include_deployment_checks=True)
            if not message.is_silenced()
        ]
        for message in messages:
            line = f"{message.id}: {message.msg}" + (f" ({message.hint})" if message.hint else "")
            if message.is_serious():
                self.fail(line)
            else:
                self.stdout.write(self.style.WARNING(f"! {line}"))
        if not any(message.is_serious() for message in messages):
            self.ok("system checks passed" + (" (with warnings)" if messages else ""))

    def sdk_configuration(self, config: AuthConfig) -> None:
        try:
            resolved = get_sdk_configuration(config)
        except WristbandError as exc:
            hint = " (check client_id and client_secret)" if exc.status in (401, 403, 404) else ""
            self.fail(f"could not get Wristband's sdk-configuration: {describe(exc)}{hint}")
            return
        except ImproperlyConfigured as exc:
            self.fail(f"the resolved configuration is invalid: {exc}")
            return
        urls = f"login_url {resolved.login_url}, redirect_uri {resolved.redirect_uri}"
        if config.auto_configure_enabled:
            self.ok(f"auto-configuration resolved: {urls}")
        else:
            self.ok(f"auto-configuration is off: {urls} (from settings)")

    def jwks(self, config: AuthConfig) -> None:
        try:
            keys = get_client(config).jwks()["keys"]
        except WristbandError as exc:
            self.fail(f"could not reach Wristband's JWKS: {describe(exc)}")
            return
        usable = [k for k in keys if isinstance(k, dict) and k.get("kty") == "RSA" and k.get("kid")]
        if not usable:
            self.fail("Wristband's JWKS has no RSA signing key: tokens cannot be validated")
            return
        self.ok(f"Wristband's JWKS: {len(usable)} RSA signing key(s)")
