"""The ``manage.py wristband_check`` transcripts in docs/deployment.md are the command's.

The real command runs against the fake Wristband, and each line of a transcript must be a
line the command prints, modulo values (URLs, host names, the client id, numbers): the
healthy transcript line for line, the corporate-network one (partial: it ends in ``...``)
through a real CONNECT proxy to a fake whose CA nothing trusts, as on the page.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.deployment.tls import make_ca
from tests.docs.docs_blocks import code
from tests.support.connect_proxy import ConnectProxy
from tests.support.proxy_redaction import NETWORK_VARIABLES
from wristband_django.testing import FakeWristband

#: Not the docs': a shared cache, so that the deployment checks do not warn about LocMem
#: (checks do not connect to it).
REDIS = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/15"}


@pytest.fixture(autouse=True)
def project(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CACHES = {"default": REDIS}
    for name in NETWORK_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def shape(line: str) -> str:
    """Return a line with its values replaced: what a user sees, whatever the deployment."""
    line = re.sub(r"https?://[^\s,)]+", "URL", line)
    line = re.sub(r"\(client_id [^)]*\)", "(client_id ID)", line)
    line = re.sub(r" for [\w.:-]+: ", " for HOST: ", line)
    return re.sub(r"\d+", "N", line)


def transcript(block: str) -> list[str]:
    """Return the lines a transcript shows the command print (no prompt, no ``...``)."""
    lines = block.splitlines()
    assert lines[0] == "$ python manage.py wristband_check"
    return [line for line in lines[1:] if line != "..."]


def wristband_check() -> list[str]:
    """Run the command; every line it prints, stdout's then stderr's."""
    out, err = StringIO(), StringIO()
    with contextlib.suppress(CommandError):  # a failed check: its lines are the result
        call_command("wristband_check", stdout=out, stderr=err)
    return out.getvalue().splitlines() + err.getvalue().splitlines()


#: The fake speaks http (not the docs'): its route says so where Wristband's names the CAs.
HTTP_ROUTE = ("no TLS (http)", "CA bundle: certifi's (requests' default)")


def test_the_healthy_transcript_is_what_the_command_prints(
    wristband: FakeWristband, settings: Any
) -> None:
    settings.SILENCED_SYSTEM_CHECKS = ["wristband_django.E006"]  # the http fake, not the docs'
    shown = [shape(line) for line in transcript(code("deployment:check"))]
    printed = [shape(line.replace(*HTTP_ROUTE)) for line in wristband_check()]
    assert printed == shown


@pytest.fixture
def untrusted_fake_behind_a_proxy(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[FakeWristband]:
    """The fake over https with a CA nothing trusts, reached through ``HTTPS_PROXY``."""
    ca = make_ca(tmp_path / "ca")
    with (
        ConnectProxy() as proxy,
        FakeWristband(
            login_url="https://app.example.com/auth/login/",
            redirect_uri="https://app.example.com/auth/callback/",
            tls=ca.server_context(),
        ) as fake,
    ):
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        settings.WRISTBAND_AUTH = fake.auth_settings()
        yield fake


def test_the_corporate_network_transcript_is_what_the_command_prints(
    untrusted_fake_behind_a_proxy: FakeWristband,
) -> None:
    shown = [shape(line) for line in transcript(code("deployment:check-proxy"))]
    printed = [shape(line) for line in wristband_check()]
    assert [line for line in printed if line in shown] == shown, "\n".join(printed)


def test_a_transcript_that_drifts_does_not_match(wristband: FakeWristband, settings: Any) -> None:
    settings.SILENCED_SYSTEM_CHECKS = ["wristband_django.E006"]
    printed = [shape(line.replace(*HTTP_ROUTE)) for line in wristband_check()]
    assert printed == [shape(line) for line in transcript(code("deployment:check"))]
    drifted = [shape(line.replace("JWKS", "keys")) for line in transcript(code("deployment:check"))]
    assert printed != drifted
