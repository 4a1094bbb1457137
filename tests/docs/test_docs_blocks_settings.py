"""The docs' settings blocks, in a generated project: ``startproject`` plus the quickstart.

A block run as written is appended to the project's ``settings.py``; a partial one (with
``...``) is spliced into the quickstart's settings (``docs_blocks.splice``). Each runs in a
subprocess of its own: ``manage.py check`` (``--deploy`` for the deployment page's), and,
where the block's point is behaviour, requests through Django's test client against a fake
Wristband the subprocess starts. Not the docs': the fake speaks http
(``dangerously_allow_http_idp``), the sessions go to Redis (the quickstart's next step for
production) under the test's key prefix, and the CORS block
gets a stand-in for django-cors-headers when it is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.docs.docs_blocks import code, splice
from tests.docs.test_quickstart import project_env

pytestmark = [pytest.mark.slow]

#: The subprocess: checks, then the behaviours named on its command line, as JSON lines.
DRIVER = """
import json, os, sys
from wristband_django.testing import FakeWristband, expire_access_token, log_in
fake = FakeWristband(login_url="http://testserver/auth/login/",
                     redirect_uri="http://testserver/auth/callback/").start()
for key in ("client_id", "client_secret", "wristband_application_vanity_domain"):
    os.environ["WRISTBAND_" + key.upper().removeprefix("WRISTBAND_")] = fake.auth_settings()[key]
os.environ["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
import django
django.setup()
from io import StringIO
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
for args in [["check"], *([["check", "--deploy"]] if "deploy" in sys.argv else [])]:
    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    print(json.dumps({"check": " ".join(args), "output": out.getvalue()}))
# After the checks: the test environment's locmem mail backend is a deploy error (Django 6.1).
setup_test_environment()
client = Client()
if "protected" in sys.argv:
    answer = client.get("/api/hello/", HTTP_ORIGIN="https://app.example.com")
    headers = dict(answer.headers)
    print(json.dumps({"status": answer.status_code, "body": answer.json(), "headers": headers}))
if "keep-session" in sys.argv:
    log_in(client, fake, "admin@acme.test")
    expire_access_token(client)
    fake.inject("token", status=503, times=None)
    answer = client.get("/auth/session/")
    from django.contrib.sessions.backends.cache import SessionStore
    key = client.cookies["sessionid"].value
    kept = SessionStore(key).exists(key)
    retry_after = answer.get("Retry-After")
    print(json.dumps({"status": answer.status_code, "retry_after": retry_after, "kept": kept}))
if "cache" in sys.argv:
    from django.core.cache import cache
    cache.set("docs-block", "stored", 30)
    print(json.dumps({"cached": cache.get("docs-block")}))
fake.stop()
"""
#: Not the docs': django-cors-headers' middleware, as far as the CORS block uses it.
CORS_STAND_IN = """
from django.conf import settings
from django.http import HttpResponse


class CorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        origin = request.headers.get("Origin")
        preflight = request.method == "OPTIONS" and origin is not None
        response = HttpResponse() if preflight else self.get_response(request)
        if origin in settings.CORS_ALLOWED_ORIGINS:
            response["Access-Control-Allow-Origin"] = origin
            allow = settings.CORS_ALLOW_CREDENTIALS
            response["Access-Control-Allow-Credentials"] = str(allow).lower()
        return response
"""


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``startproject mysite`` with the quickstart's settings and urls blocks pasted in."""
    directory = tmp_path_factory.mktemp("base")
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", "."],
        cwd=directory, env=project_env(), check=True, timeout=60,
    )  # fmt: skip
    settings = directory / "mysite" / "settings.py"
    # Django 6.1's startproject writes a console mail backend that its own deploy check
    # (mail.E001) refuses: a project's mail is no concern of these blocks.
    unrelated = 'SILENCED_SYSTEM_CHECKS = ["mail.E001"]\n'
    settings.write_text(f"{settings.read_text()}\n{code('quickstart:settings')}\n{unrelated}")
    (directory / "mysite" / "urls.py").write_text(code("quickstart:urls"))
    (directory / "drive.py").write_text(DRIVER)
    return directory


@pytest.fixture
def project(base_project: Path, tmp_path: Path, redis_cache: dict[str, Any]) -> Path:
    """A copy of the base project, its sessions in Redis under the test's key prefix."""
    directory = tmp_path / "project"
    shutil.copytree(base_project, directory)
    # Sessions in Redis, as the quickstart's "Next: Redis in production" says, under the
    # test's key prefix (removed afterwards).
    engine = 'SESSION_ENGINE = "django.contrib.sessions.backends.cache"\n'
    caches = f'CACHES = {{"default": {redis_cache!r}}}\n'
    http = 'WRISTBAND_AUTH["dangerously_allow_http_idp"] = True\n'  # the fake's flag
    append(directory, f"{engine}{caches}{http}")
    return directory


def append(project: Path, text: str) -> None:
    settings = project / "mysite" / "settings.py"
    settings.write_text(f"{settings.read_text()}\n{text}\n")


def add_partial(project: Path, block: str) -> None:
    """Splice a partial block into the project's settings, as the settings it changes."""
    base = {
        k: v
        for k, v in runpy.run_path(str(project / "mysite" / "settings.py")).items()
        if k.isupper()
    }
    lines = []
    for name, value in splice(block, base).items():
        if not name.isupper() or value == base.get(name):
            continue
        if isinstance(value, dict) and isinstance(base.get(name), dict):
            changed = {k: v for k, v in value.items() if base[name].get(k) != v}
            lines.append(f"{name} = {{**{name}, **{changed!r}}}")
        else:
            lines.append(f"{name} = {value!r}")
    assert lines, "the block changes nothing"
    append(project, "\n".join(lines))


def drive(project: Path, *behaviours: str) -> list[dict[str, Any]]:
    """Run the project's checks and ``behaviours`` in a subprocess; what each reported."""
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "drive.py", *behaviours], cwd=project, capture_output=True, text=True,
        env=project_env(REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")),
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    for report in reports:
        if "check" in report:
            assert "wristband_django." not in report["output"], report["output"]
    return reports


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(code("configuration:tenant-subdomains"), id="tenant-subdomains"),
        pytest.param(code("configuration:proxy"), id="proxy"),
        pytest.param(code("front-ends:return-hosts"), id="return-hosts"),
    ],
)
def test_a_partial_settings_block_passes_the_checks(project: Path, block: str) -> None:
    add_partial(project, block)
    (report,) = drive(project)
    assert "System check identified no issues" in report["output"]


def test_the_middleware_block_protects_the_api(project: Path) -> None:
    add_partial(project, code("middleware:settings"))
    _checked, answer = drive(project, "protected")
    assert answer["status"] == 401 and answer["body"]["loginUrl"].endswith("/auth/login/")


def test_keeping_sessions_through_an_outage_answers_503_and_keeps_the_session(
    project: Path,
) -> None:
    add_partial(project, code("middleware:keep-session"))
    _checked, answer = drive(project, "keep-session")
    assert answer == {"status": 503, "retry_after": "5", "kept": True}


def test_without_the_keep_session_block_the_outage_ends_the_session(project: Path) -> None:
    _checked, answer = drive(project, "keep-session")
    assert answer["status"] == 401 and answer["kept"] is False


def test_the_rolling_sessions_block_passes_the_checks_it_names(project: Path) -> None:
    add_partial(project, code("deployment:rolling"))
    _checked, deploy = drive(project, "deploy")
    assert "E012" not in deploy["output"] and "W007" not in deploy["output"]


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(code("deployment:django-redis"), id="django-redis"),
        pytest.param(code("deployment:redis-cache"), id="redis-cache"),
    ],
)
def test_a_cache_block_runs_as_written_and_stores(project: Path, block: str) -> None:
    append(project, block)
    append(project, f'CACHES["default"]["KEY_PREFIX"] = {project.name!r}')  # not the docs'
    *_checks, cached = drive(project, "deploy", "cache")
    assert cached == {"cached": "stored"}


def test_the_sentinel_block_runs_as_written_and_passes_the_deployment_checks(project: Path) -> None:
    append(project, code("deployment:sentinel"))
    _checked, deploy = drive(project, "deploy")
    assert deploy["check"] == "check --deploy"


def test_the_cors_block_puts_the_cors_headers_on_the_401(project: Path) -> None:
    if importlib.util.find_spec("corsheaders") is None:
        (project / "corsheaders").mkdir()
        (project / "corsheaders" / "__init__.py").write_text("")
        (project / "corsheaders" / "middleware.py").write_text(CORS_STAND_IN)
    add_partial(project, code("front-ends:cors"))
    append(project, 'WRISTBAND_AUTH["protected_paths"] = ["/api/"]')  # not the docs'
    _checked, answer = drive(project, "protected")
    assert answer["status"] == 401
    assert answer["headers"]["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_the_templates_block_runs_as_written(project: Path) -> None:
    append(project, code("front-ends:templates"))
    (report,) = drive(project)
    assert "System check identified no issues" in report["output"]
