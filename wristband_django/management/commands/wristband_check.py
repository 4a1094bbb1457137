"""``manage.py wristband_check``: are the settings valid, do the stores answer, does Wristband
answer and accept this app's credentials?

Validates ``WRISTBAND_AUTH`` (naming every problem), runs this app's system checks
(deployment ones included), pings the session store and the refresh lock's cache, resolves
the configuration (fetching Wristband's sdk-configuration when auto-configuration needs it),
verifies the client credentials with a call that changes nothing, and fetches the JWKS.
Shows the route the calls take (proxy, CA bundle, and the setting or environment variable
each came from), so that a TLS or proxy failure can be told apart from Wristband's own.
Exits non-zero on any failure. Never prints a secret (a proxy's credentials and a cache's
password are redacted). The package's log records are kept off the console while it runs,
so that they do not mix with its lines; with ``--verbosity 2`` they follow them.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from wristband_django.checks import TAG
from wristband_django.checks.base import setting_hint, settings_problems
from wristband_django.conf import AuthConfig, get_config
from wristband_django.errors import WristbandError
from wristband_django.management.checkup.logs import console_free_records
from wristband_django.management.checkup.stores import ping_stores
from wristband_django.management.checkup.wristband_calls import (
    CREDENTIALS_HINT,
    describe,
    refused_credentials,
    verify_credentials,
)
from wristband_django.wristband.auto_configuration import get_sdk_configuration
from wristband_django.wristband.client import get_client

__all__ = ["Command"]


class Command(BaseCommand):
    help = (
        "Check the Wristband settings, that the session store and the lock cache answer, and "
        "that Wristband answers and accepts the credentials."
    )
    requires_system_checks: list[str] = []  # reported below, as lines of this command

    def handle(self, *args: Any, **options: Any) -> None:
        self.failures = 0
        with console_free_records() as records:
            self.check_everything()
        if options["verbosity"] >= 2 and records:
            self.show_records(records)
        if self.failures:
            raise CommandError(f"{self.failures} check(s) failed")
        self.stdout.write(self.style.SUCCESS("All Wristband checks passed."))

    def check_everything(self) -> None:
        problems = settings_problems()
        if problems:
            for problem in problems:
                self.fail(f"settings are invalid: {problem.message}")
                self.stderr.write(f"  {setting_hint(problem)}")
            return
        try:
            config = get_config()
        except ImproperlyConfigured as exc:  # missing: E001's words
            self.fail(f"settings are invalid: {exc}")
            return
        self.ok("settings are valid")
        self.stdout.write(
            f"  Wristband application: {config.issuer} (client_id {config.client_id})"
        )
        self.stdout.write(f"  network: {get_client(config).route}")
        self.system_checks()
        self.stores(config)
        self.sdk_configuration(config)
        self.credentials(config)
        self.jwks(config)

    def ok(self, text: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"✓ {text}"))

    def warn(self, text: str) -> None:
        self.stdout.write(self.style.WARNING(f"! {text}"))

    def fail(self, text: str) -> None:
        self.failures += 1
        self.stderr.write(f"✗ {text}")

    def show_records(self, records: list[logging.LogRecord]) -> None:
        """Print the package's log records of the run, after its lines."""
        self.stdout.write("Log records of wristband_django during the checks:")
        for record in records:
            self.stdout.write(f"  {record.levelname} {record.name}: {record.getMessage()}")

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
                self.warn(line)
        if not any(message.is_serious() for message in messages):
            self.ok("system checks passed" + (" (with warnings)" if messages else ""))

    def stores(self, config: AuthConfig) -> None:
        for answer in ping_stores(config):
            if answer.problem is None:
                self.ok(answer.line)
            else:
                self.fail(answer.line)

    def sdk_configuration(self, config: AuthConfig) -> None:
        try:
            resolved = get_sdk_configuration(config)
        except WristbandError as exc:
            hint = f" ({CREDENTIALS_HINT})" if refused_credentials(exc) or exc.status == 404 else ""
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

    def credentials(self, config: AuthConfig) -> None:
        verdict = verify_credentials(config)
        if verdict.outcome == "ok":
            self.ok(verdict.text)
        elif verdict.outcome == "unsure":
            self.warn(verdict.text)
        else:
            self.fail(verdict.text)

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
