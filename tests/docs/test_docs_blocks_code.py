"""The docs' module blocks run: the Celery task, the template, the CSRF view.

Each is imported (or rendered) in the suite's project, logged in through the fake Wristband.
The Celery task needs ``celery.shared_task``: when Celery is not installed, a stand-in for it
(a test double for the library: ``delay`` calls the task, ``retry`` raises) is put in
``sys.modules`` for the test only, so that ``access_token(session_key)`` really runs. The
task's outbound ``requests.post`` is recorded, never sent.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import requests
from django.http import HttpRequest
from django.template import engines
from django.test import Client, RequestFactory

from tests.docs.docs_blocks import code
from wristband_django.sessions import end_session
from wristband_django.testing import FakeWristband, expire_access_token


class Retry(Exception):
    """What the stand-in's ``self.retry()`` raises, as Celery's does."""


def celery_stand_in() -> types.ModuleType:
    """A module with ``shared_task``: a task whose ``delay`` runs it at once."""
    module = types.ModuleType("celery")

    def shared_task(bind: bool = False, **options: Any) -> Any:
        def decorate(function: Any) -> Any:
            class Task:
                def retry(self, exc: Exception, countdown: int) -> Retry:
                    return Retry(exc, countdown)

                def delay(self, *args: Any) -> Any:
                    return function(self, *args) if bind else function(*args)

            return Task()

        return decorate

    module.shared_task = shared_task  # type: ignore[attr-defined]
    return module


@pytest.fixture
def tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str, list[dict[str, Any]]]:
    """The block's tasks.py, imported; its views.py line; the requests it posted."""
    tasks_part, views_part = code("middleware:celery").split("\n# views.py\n")
    if importlib.util.find_spec("celery") is None:
        monkeypatch.setitem(sys.modules, "celery", celery_stand_in())
    (tmp_path / "docs_celery_tasks.py").write_text(tasks_part)
    monkeypatch.syspath_prepend(str(tmp_path))
    posted: list[dict[str, Any]] = []
    monkeypatch.setattr(
        requests, "post", lambda url, **kwargs: posted.append({"url": url, **kwargs})
    )
    module = importlib.import_module("docs_celery_tasks")
    yield module, views_part, posted
    sys.modules.pop("docs_celery_tasks", None)


def run_view_line(views_part: str, module: Any, client: Client) -> None:
    """Run the block's views.py line as a view would, with the client's session."""
    request = HttpRequest()
    request.session = client.session
    report = types.SimpleNamespace(pk=42)
    exec(views_part, {"export_report": module.export_report, "request": request, "report": report})  # noqa: S102


#: The task retries on an outage when the session outlives it (else the refresh ends it).
@pytest.mark.wristband_settings(keep_session_when_wristband_unavailable=True)
def test_the_celery_task_posts_with_a_fresh_token_retries_and_stops_when_logged_out(
    tasks: tuple[Any, str, list[dict[str, Any]]], logged_in: Client, wristband: FakeWristband
) -> None:
    module, views_part, posted = tasks
    run_view_line(views_part, module, logged_in)
    expire_access_token(logged_in)
    run_view_line(views_part, module, logged_in)
    assert [call["url"] for call in posted] == ["https://api.example.com/reports/42/export"] * 2
    first, second = (call["headers"]["Authorization"] for call in posted)
    assert first.startswith("Bearer ") and second.startswith("Bearer ") and first != second
    assert len(wristband.calls("token", grant_type="refresh_token")) == 1

    expire_access_token(logged_in)
    wristband.inject("token", status=503, times=None)
    with pytest.raises(Retry):
        run_view_line(views_part, module, logged_in)
    wristband.clear_faults()
    end_session(logged_in.session.session_key)
    run_view_line(views_part, module, logged_in)  # logged out: returns, posts nothing
    assert len(posted) == 2


def render(request: HttpRequest, settings: Any) -> str:
    """Render the page's template block with the page's context processor added."""
    options = settings.TEMPLATES[0].setdefault("OPTIONS", {})
    processors = options.setdefault("context_processors", [])
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **options,
                "context_processors": [
                    *processors,
                    "django.template.context_processors.request",
                    "wristband_django.context_processors.wristband",
                ],
            },
        }
    ]
    assert 'context_processors"] += ["wristband_django.context_processors.wristband"]' in code(
        "front-ends:templates"
    )
    return engines["django"].from_string(code("front-ends:template")).render(request=request)


def test_the_template_shows_a_login_link_then_the_user_and_a_logout_form(
    logged_in: Client, settings: Any
) -> None:
    anonymous = RequestFactory().get("/orders/42")
    anonymous.session = Client().session
    assert '<a href="/auth/login/?return_url=/orders/42">Log in</a>' in render(anonymous, settings)
    request = RequestFactory().get("/orders/42")
    request.session = logged_in.session
    page = render(request, settings)
    assert "admin@acme.test" in page and "tenant acme" in page
    assert '<form method="post" action="/auth/logout/">' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_csrf_view_hands_over_a_token_the_logout_endpoint_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logged_in: Client
) -> None:
    (tmp_path / "docs_csrf_view.py").write_text(code("front-ends:csrf-view"))
    monkeypatch.syspath_prepend(str(tmp_path))
    view = importlib.import_module("docs_csrf_view").csrf_token
    sys.modules.pop("docs_csrf_view", None)
    request = RequestFactory().get("/csrf/")
    answer = view(request)
    token = json.loads(answer.content)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = logged_in.cookies
    strict.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
    refused = strict.post("/auth/logout/")
    assert refused.status_code == 403
    assert strict.post("/auth/logout/", HTTP_X_CSRFTOKEN=token["csrfToken"]).status_code == 302
