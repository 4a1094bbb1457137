"""The blocks of docs/deployment.md's "Ending every session of a user or a tenant" run as
written (or, for the partial settings block, spliced into this suite's settings): with users
logged in through the fake Wristband, each ends the sessions it says it ends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import logging
import os
import shlex
import sys
import time
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from tests.docs.docs_blocks import code, splice
from tests.support.auth_helpers import stored_entry
from wristband_django import signals, testing
from wristband_django.testing import FakeWristband
from wristband_django.types import WristbandSession

pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"])


def log_in(fake: FakeWristband, *users: str) -> list[Client]:
    clients = []
    for user in users:
        client = Client()
        testing.log_in(client, fake, user)
        clients.append(client)
    return clients


def answers(clients: list[Client]) -> list[int]:
    return [client.get("/api/whoami/").status_code for client in clients]


def test_the_end_sessions_block_ends_the_user_and_the_tenant_it_names(
    wristband: FakeWristband,
) -> None:
    clients = log_in(
        wristband,
        "admin@acme.test",
        "admin@acme.test",
        "member@acme.test",
        "admin@globex.test",
        "member@globex.test",
    )
    namespace: dict[str, Any] = {}
    exec(code("deployment:end-sessions"), namespace)  # noqa: S102 (the docs' own block)
    assert namespace["ended"] == 4
    assert answers(clients) == [401, 401, 200, 401, 401]


def test_the_command_transcript_is_what_the_command_prints(wristband: FakeWristband) -> None:
    clients = log_in(wristband, "admin@globex.test", "member@globex.test", "admin@acme.test")
    command, *printed = code("deployment:end-sessions-command").splitlines()
    program, manage, name, *arguments = shlex.split(command.removeprefix("$ "))
    assert (program, manage) == ("python", "manage.py")
    out = StringIO()
    call_command(name, *arguments, stdout=out)
    assert out.getvalue().splitlines() == printed
    assert answers(clients) == [401, 401, 200]


def test_the_signal_block_logs_each_offboarding(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    log_in(wristband, "admin@globex.test", "member@globex.test")
    namespace: dict[str, Any] = {}
    exec(code("deployment:sessions-ended-for"), namespace)  # noqa: S102 (the docs' own block)
    try:
        with caplog.at_level(logging.INFO, logger="audit"):
            call_command("wristband_end_sessions", "--tenant-id", "tnt_globex", stdout=StringIO())
    finally:
        signals.sessions_ended_for.disconnect(namespace["log_offboarding"], sender=WristbandSession)
    audit = [record.getMessage() for record in caplog.records if record.name == "audit"]
    assert audit == ["ended 2 session(s) of user=None tenant=tnt_globex"]


@pytest.fixture
def webhook_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """The docs' urls.py, as the project's URLconf."""
    (tmp_path / "docs_webhook_urls.py").write_text(code("deployment:webhook-urls"))
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    settings.ROOT_URLCONF = "docs_webhook_urls"
    yield
    sys.modules.pop("docs_webhook_urls", None)


def test_the_webhook_blocks_end_a_deleted_users_sessions(
    wristband: FakeWristband, webhook_urls: None, settings: Any
) -> None:
    key = os.urandom(24)
    secret = "whsec_" + base64.b64encode(key).decode()
    environ = {"WRISTBAND_WEBHOOK_SECRET": secret}
    spliced = splice(
        code("deployment:webhook-settings"),
        {"WRISTBAND_AUTH": dict(settings.WRISTBAND_AUTH), "os": SimpleNamespace(environ=environ)},
    )
    settings.WRISTBAND_AUTH = spliced["WRISTBAND_AUTH"]
    leaving, staying = log_in(wristband, "member@acme.test", "admin@acme.test")
    body = json.dumps(
        {"type": "v1.user.deleted", "data": {"object": {"id": "usr_acme_member"}}}
    ).encode()
    stamp = str(int(time.time()))
    signed = hmac.new(key, f"msg_docs.{stamp}.".encode() + body, hashlib.sha256).digest()
    headers = {
        "svix-id": "msg_docs",
        "svix-timestamp": stamp,
        "svix-signature": "v1," + base64.b64encode(signed).decode(),
    }
    response = Client().post(
        "/webhooks/wristband/", body, content_type="application/json", headers=headers
    )
    assert response.json() == {"type": "v1.user.deleted", "sessions_ended": 1}
    assert stored_entry(leaving) is None
    assert stored_entry(staying) is not None
