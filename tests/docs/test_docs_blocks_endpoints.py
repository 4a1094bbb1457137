"""docs/endpoints.md's "Customising the views" blocks, as written: the ``TenantLogin``
subclass is ``myproject/views.py``, the URLconf block is the project's, and a login through
the fake Wristband shows both hooks at work (the default tenant and the custom state)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.docs.docs_blocks import code
from tests.support.docs_project import project_files
from wristband_django.signals import login_completed
from wristband_django.testing import FakeWristband
from wristband_django.testing.browser_protocol import AUTHORIZE_PATH
from wristband_django.types import WristbandSession


@pytest.fixture
def project(
    wristband: FakeWristband, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeWristband]:
    """The page's view and URLconf, as written, as the project's ``myproject`` package."""
    blocks = {"views": code("endpoints:login-view"), "urls": code("endpoints:urls")}
    with project_files(tmp_path, monkeypatch, **blocks):
        settings.ROOT_URLCONF = "myproject.urls"
        yield wristband


@pytest.fixture
def custom_states() -> Iterator[list[Any]]:
    """The ``custom_state`` of every login completed during the test."""
    seen: list[Any] = []

    def receiver(sender: Any, custom_state: Any, **kwargs: Any) -> None:
        seen.append(custom_state)

    login_completed.connect(receiver, sender=WristbandSession)
    yield seen
    login_completed.disconnect(receiver, sender=WristbandSession)


@pytest.mark.parametrize(("query", "plan"), [("?plan=pro", "pro"), ("", "free")])
def test_the_tenant_login_goes_to_acme_and_carries_the_plan_through_the_login(
    project: FakeWristband, custom_states: list[Any], query: str, plan: str
) -> None:
    client = Client()
    started = client.get(f"/auth/login/{query}")
    assert started.status_code == 302
    authorize = urlsplit(started["Location"])
    # default_tenant_name: straight to acme's login, not Wristband's tenant discovery
    assert (authorize.netloc, authorize.path) == (project.tenant_host("acme"), AUTHORIZE_PATH)
    callback = urlsplit(project.authorize(started["Location"], "member@acme.test"))
    assert parse_qs(callback.query)["code"]
    done = client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.content
    assert custom_states == [{"plan": plan}]
    session = client.get("/auth/session/").json()
    assert (session["userId"], session["tenantId"]) == ("usr_acme_member", "tnt_acme")
