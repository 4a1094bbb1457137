"""The documentation, pasted into a brand-new `django-admin startproject`, works as written.

The quickstart's settings and urls blocks (docs/quickstart.md) and the test recipe's files
(docs/testing.md) are taken verbatim from the pages (each code block follows an HTML comment
marker such as `<!-- quickstart:settings -->`). The tests add only what the pages do not ask
of a reader, each marked below: the fake Wristband speaks http, so its project needs
`dangerously_allow_http_idp` (a flag for fakes only, which `auth_settings()` and
`wristband_settings` set, never something a newcomer's settings should read from the
environment), a cache key prefix so that the shared Redis is cleaned afterwards, and, for the
recipe, the protected API its tests call.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import wristband_django
from tests.docs.docs_blocks import code
from tests.support.network import free_port
from wristband_django.testing import FakeWristband

pytestmark = [pytest.mark.slow, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
#: Where the package under test is imported from (the source tree, or tox's installed wheel).
PACKAGE_PATH = str(Path(wristband_django.__file__).resolve().parent.parent)


def project_env(**extra: str) -> dict[str, str]:
    """This environment without the outer test run's Django settings and pytest state."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE" and not key.startswith(("PYTEST_", "WRISTBAND_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PATH, env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    """Run a command in the project; its output, or a failure that shows it."""
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{output}"
    return output


@pytest.fixture
def project(tmp_path: Path, redis_cache: dict[str, Any]) -> Path:
    """A new `startproject` with the quickstart's settings and urls blocks pasted in."""
    run([sys.executable, "-m", "django", "startproject", "mysite", "."], tmp_path, project_env())
    settings = tmp_path / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text()
        + "\n"
        + code("quickstart:settings")
        # Not the quickstart's: the test's Redis keys get a prefix, removed after the test.
        + f'\nCACHES["default"]["KEY_PREFIX"] = {redis_cache["KEY_PREFIX"]!r}\n'
    )
    (tmp_path / "mysite" / "urls.py").write_text(code("quickstart:urls"))
    return tmp_path


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + "\n" + textwrap.dedent(text))


def wait_until_serving(url: str, server: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"runserver exited with {server.returncode}:\n{log.read_text()}")
        try:  # refused at once until it listens; then its first answer may be slow
            requests.get(url, timeout=(2, 15))
        except requests.ConnectionError:
            time.sleep(0.1)
        else:
            return
    pytest.fail(f"runserver did not answer within 30 s:\n{log.read_text()}")


@pytest.fixture
def runserver(project: Path, redis_url: str) -> Iterator[tuple[str, FakeWristband, dict[str, str]]]:
    """The project's `runserver` on a free port, with a fake Wristband it is registered with.

    The fake plays the dashboard: its SDK configuration answers with the Login URL and the
    Redirect URI the quickstart tells a reader to register.
    """
    port = free_port()
    origin = f"http://localhost:{port}"
    append(project / "mysite" / "settings.py", code("quickstart:local-http"))
    # Not the quickstart's: the fake Wristband listens on http://localhost:<port>.
    append(
        project / "mysite" / "settings.py", 'WRISTBAND_AUTH["dangerously_allow_http_idp"] = True'
    )
    fake = FakeWristband(login_url=f"{origin}/auth/login/", redirect_uri=f"{origin}/auth/callback/")
    with fake:
        auth = fake.auth_settings()
        env = project_env(
            WRISTBAND_CLIENT_ID=auth["client_id"],
            WRISTBAND_CLIENT_SECRET=auth["client_secret"],
            WRISTBAND_APPLICATION_VANITY_DOMAIN=auth["wristband_application_vanity_domain"],
            REDIS_URL=redis_url,
            PYTHONUNBUFFERED="1",
        )
        checks = run([sys.executable, "manage.py", "check"], project, env)
        run([sys.executable, "manage.py", "migrate", "--no-input"], project, env)
        log = project / "runserver.log"
        with log.open("w") as out:
            server = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                cwd=project,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        try:
            wait_until_serving(f"http://127.0.0.1:{port}/auth/session/", server, log)
            yield origin, fake, {"check": checks, "log": str(log)}
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_the_quickstart_logs_a_user_in_on_a_new_project(
    runserver: tuple[str, FakeWristband, dict[str, str]],
) -> None:
    origin, fake, details = runserver
    assert "System check identified no issues" in details["check"]
    browser = requests.Session()
    assert browser.get(f"{origin}/auth/session/", timeout=10).status_code == 401

    login = browser.get(f"{origin}/auth/login/?tenant_name=acme", timeout=10, allow_redirects=False)
    assert login.status_code == 302, Path(details["log"]).read_text()
    callback = fake.authorize(login.headers["Location"], "admin@acme.test")
    assert callback.startswith(f"{origin}/auth/callback/?")
    landed = browser.get(callback, timeout=15, allow_redirects=False)
    assert landed.status_code == 302, Path(details["log"]).read_text()

    session = browser.get(f"{origin}/auth/session/", timeout=10)
    assert session.status_code == 200, Path(details["log"]).read_text()
    assert session.json()["userId"] == "usr_acme_admin"


def test_the_test_recipe_passes_verbatim_in_a_new_project(project: Path, redis_url: str) -> None:
    # Not the recipe's: the project's own protected API, which the recipe's tests call.
    append(
        project / "mysite" / "settings.py",
        'WRISTBAND_AUTH["protected_paths"] = ["/api/"]',
    )
    append(
        project / "mysite" / "urls.py",
        """\
        from django.http import JsonResponse


        def hello(request):
            return JsonResponse({"hello": request.wristband.user_id})


        urlpatterns.append(path("api/hello/", hello))
        """,
    )
    (project / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = mysite.settings\n")
    (project / "conftest.py").write_text(code("recipe:conftest"))
    (project / "test_login.py").write_text(code("recipe:test"))

    # No WRISTBAND_* variables: a project's tests need no Wristband credentials.
    output = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_login.py"],
        project,
        project_env(REDIS_URL=redis_url),
    )
    assert re.search(r"\b3 passed\b", output), output
