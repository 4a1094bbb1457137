"""docs/calling-apis.md's blocks run as written, against the downstream API and the fake:
the view (requests) and the async view (httpx) send the user's token and survive a revoked
one; the job (httpx) sends the session's token and stops quietly once the user logged out;
the machine block sends a machine token; the deadline block bounds a slow API."""

from __future__ import annotations

import configparser
import importlib.util
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.test import Client
from django.urls import path

from tests.docs.docs_blocks import ROOT, code
from tests.docs.test_docs_blocks_code import celery_stand_in
from tests.outbound.calling import MACHINE_ID, MACHINE_SECRET, machine_tokens, refreshes
from tests.outbound.calling import session_key as key_of
from tests.outbound.downstream import DownstreamApi
from tests.support.auth_helpers import stored_entry
from tests.support.docs_project import exec_block, mount, project_files
from wristband_django import sessions
from wristband_django.testing import FakeWristband


@pytest.fixture
def project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    api: DownstreamApi,
    wristband: FakeWristband,
) -> Iterator[Any]:
    """The page's modules as ``myproject``, with the APIs they name at the downstream API."""
    settings.ORDERS_API = settings.INVOICES_API = settings.REPORTS_API = api.url
    wristband.add_machine_client(MACHINE_ID, MACHINE_SECRET)
    monkeypatch.setenv("WRISTBAND_M2M_CLIENT_ID", MACHINE_ID)
    monkeypatch.setenv("WRISTBAND_M2M_CLIENT_SECRET", MACHINE_SECRET)
    if importlib.util.find_spec("celery") is None:
        monkeypatch.setitem(sys.modules, "celery", celery_stand_in())
    modules = {
        "views": code("calling-apis:view"),
        "async_views": code("calling-apis:async-view"),
        "tasks": code("calling-apis:job"),
        "reports": code("calling-apis:machine"),
    }
    with project_files(tmp_path, monkeypatch, **modules):
        import myproject  # type: ignore[import-not-found]
        from myproject import async_views, reports, tasks, views  # noqa: F401

        orders = (path("orders/", views.orders), path("async-orders/", async_views.orders))
        mount(settings, monkeypatch, *orders)
        yield myproject


@pytest.mark.parametrize("url", ["/orders/", "/async-orders/"])
def test_the_views_send_the_users_token_and_survive_a_revoked_one(
    url: str, project: Any, logged_in: Client, api: DownstreamApi, wristband: FakeWristband
) -> None:
    first = logged_in.get(url)
    assert first.status_code == 200, first.content
    entry = stored_entry(logged_in)
    assert entry is not None
    assert first.json() == {
        "user_id": entry.user_id,
        "machine": False,
        "path": "/v1/orders",
        "body": "",
    }
    api.revoke(entry.access_token)
    assert logged_in.get(url).status_code == 200
    assert api.statuses() == [200, 401, 200]
    assert refreshes(wristband) == 1


def test_the_views_answer_401_without_calling_the_api_for_an_anonymous_caller(
    project: Any, client: Client, api: DownstreamApi
) -> None:
    assert client.get("/orders/").status_code == 401
    assert client.get("/async-orders/").status_code == 401
    assert api.received == []


def test_the_job_syncs_with_the_sessions_token_until_the_user_logs_out(
    project: Any, logged_in: Client, api: DownstreamApi
) -> None:
    key = key_of(logged_in)
    entry = stored_entry(logged_in)
    assert entry is not None
    project.tasks.sync_invoices.delay(key)
    (received,) = api.received
    assert (received.method, received.path, received.status) == ("POST", "/v1/invoices/sync", 200)
    assert (received.token, received.body) == (entry.access_token, b'{"full":false}')
    sessions.end_session(key)
    assert project.tasks.sync_invoices.delay(key) is None  # quietly: nothing sent
    assert len(api.received) == 1


def test_the_machine_block_sends_a_machine_token_and_replaces_a_refused_one(
    project: Any, api: DownstreamApi, wristband: FakeWristband
) -> None:
    assert project.reports.nightly_report()["machine"] is True
    (token,) = api.tokens()
    assert token is not None
    api.revoke(token)
    assert project.reports.nightly_report()["user_id"] == MACHINE_ID
    assert api.statuses() == [200, 401, 200]
    assert machine_tokens(wristband) == 2


def test_the_deadline_block_bounds_a_slow_api(
    settings: Any, api: DownstreamApi, machine: Any
) -> None:
    from wristband_django.contrib.outbound.requests_auth import WristbandRequestsAuth, api_session

    settings.ORDERS_API = api.url
    context = {"api": api_session(WristbandRequestsAuth.for_machine(machine)), "settings": settings}
    assert exec_block(code("calling-apis:deadline"), context)["answer"].status_code == 200
    api.delay = 3
    tight = code("calling-apis:deadline").replace("deadline(5)", "deadline(0.3)")
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        exec_block(tight, context)
    assert time.monotonic() - started < 2


def test_the_install_command_names_the_extra_that_brings_httpx() -> None:
    (command,) = code("calling-apis:install").splitlines()
    assert re.match(r'pip install "/path/to/wristband-django\[httpx\]"\s+#', command), command
    setup = configparser.ConfigParser(interpolation=None)
    setup.read(ROOT / "setup.cfg")
    (requirement,) = setup["options.extras_require"]["httpx"].split()
    assert requirement.startswith("httpx>=")
    assert "httpx>=" in setup["options.extras_require"]["test"]
