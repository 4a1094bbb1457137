"""The quickstart, pasted into a brand-new `django-admin startproject`, works as written, with
no Redis anywhere: a user logs in through the fake Wristband and lands on the home page, logs
out and sees it say so; the test recipe passes in the project; `wristband_check` catches a
wrong client secret.

The quickstart's blocks (docs/quickstart.md) and the recipe's files (docs/testing.md) are
taken verbatim from the pages (each code block follows an HTML comment marker such as
`<!-- quickstart:settings -->`), and the fake runs as "Develop against the fake" says:
`python -m wristband_django.testing`, its export lines run by the shell that runs
`manage.py`, its settings line added at the end of `settings.py` (`tests/docs/newcomer.py`).
What the tests add that the pages do not say is test plumbing, each marked below: free ports
instead of 8000 and 8001, `runserver --noreload`, and an environment without Redis.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import wristband_django
from tests.docs.docs_blocks import code
from tests.docs.newcomer import (
    Browser,
    Printed,
    exports_then,
    fake_wristband,
    localhost_subdomains_resolve,
    log_in,
    paste_quickstart,
    wait_until_serving,
)
from tests.support.network import free_port

pytestmark = [pytest.mark.slow]

#: Where the package under test is imported from (the source tree, or tox's installed wheel).
PACKAGE_PATH = str(Path(wristband_django.__file__).resolve().parent.parent)
#: The origin the quickstart's `logout_redirect_url` and registered URLs name.
QUICKSTART_ORIGIN = "http://localhost:8000"
#: Stands in for redis-py and django-redis in the project's environment: not installed.
NOT_INSTALLED = 'raise ModuleNotFoundError("not installed in the quickstart\'s environment")\n'


def project_env(**extra: str) -> dict[str, str]:
    """This environment without the outer test run's Django settings, pytest state, Wristband
    credentials and Redis URL."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}
        and not key.startswith(("PYTEST_", "WRISTBAND_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PATH, env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run(
    args: list[str], cwd: Path, env: dict[str, str], *, ok: bool = True, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run a command in the project; with `ok`, fail showing its output unless it succeeds."""
    result = subprocess.run(  # noqa: S603 (sh and our own interpreter, fixed arguments)
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if ok:
        assert result.returncode == 0, f"{args} failed:\n{result.stdout}{result.stderr}"
    return result


def manage(
    project: Quickstart, *args: str, printed: Printed | None = None, ok: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``python manage.py ...`` in the project, its environment set by the fake's exports."""
    command = exports_then(printed or project.printed, [sys.executable, "manage.py", *args])
    return run(command, project.directory, project.env, ok=ok)


@dataclass(frozen=True)
class Quickstart:
    """The quickstart's project, migrated and serving at ``origin``, next to the fake."""

    directory: Path
    env: dict[str, str]
    printed: Printed
    origin: str
    log: Path


def environment_without_redis(directory: Path) -> dict[str, str]:
    """The project's environment: no ``REDIS_URL``, and redis-py and django-redis not
    importable (as after the quickstart's install line), so nothing can reach a Redis."""
    for module in ("redis", "django_redis"):  # not the quickstart's: test plumbing
        (directory / module).mkdir(parents=True)
        (directory / module / "__init__.py").write_text(NOT_INSTALLED)
    env = project_env()
    env["PYTHONPATH"] = os.pathsep.join([str(directory), env["PYTHONPATH"]])
    return env


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Quickstart]:
    """``startproject mysite`` with the quickstart's blocks and the fake's settings line
    pasted in, migrated, and ``runserver`` serving it next to the fake Wristband."""
    directory = tmp_path_factory.mktemp("quickstart")
    env = environment_without_redis(tmp_path_factory.mktemp("no-redis"))
    # Not the quickstart's: free ports for the app (runserver's 8000) and the fake (8001).
    app_port, fake_port = free_port(), free_port()
    origin = f"http://localhost:{app_port}"
    run([sys.executable, "-m", "django", "startproject", "mysite", "."], directory, env)
    with fake_wristband(sys.executable, fake_port, origin, cwd=directory) as (_, printed):
        paste_quickstart(directory, printed)
        project = Quickstart(directory, env, printed, origin, directory / "runserver.log")
        manage(project, "migrate", "--no-input")
        # Not the quickstart's: --noreload, so that stopping the server stops it all, and
        # unbuffered output, so that the log holds the system check's line while it serves.
        command = [sys.executable, "manage.py", "runserver", "--noreload", str(app_port)]
        with project.log.open("w") as out:
            server = subprocess.Popen(  # noqa: S603 (sh and our own interpreter)
                exports_then(printed, command), cwd=directory, env={**env, "PYTHONUNBUFFERED": "1"},
                stdout=out, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        try:
            wait_until_serving(f"{origin}/", server, project.log)
            yield project
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_the_project_runs_without_redis_and_its_checks_say_what_production_needs(
    quickstart: Quickstart,
) -> None:
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'engine': s.SESSION_ENGINE, 'caches': s.CACHES}))"
    )
    settings = manage(quickstart, "shell", "-c", script).stdout.splitlines()[-1]
    assert json.loads(settings)["engine"] == "django.contrib.sessions.backends.db"
    assert "redis" not in settings.lower()
    # And nothing could reach a Redis: no client library to do it with, as the quickstart's
    # install line (which names no extra) leaves it.
    assert "[" not in code("quickstart:install")
    env, directory = quickstart.env, quickstart.directory
    no_client = run([sys.executable, "-c", "import redis"], directory, env, ok=False)
    assert "not installed in the quickstart's environment" in no_client.stderr

    checks = manage(quickstart, "check").stdout
    assert "System check identified no issues" in checks
    deploy = manage(quickstart, "check", "--deploy", ok=False)  # Django's own errors aside
    output = deploy.stdout + deploy.stderr
    assert "wristband_django.W003" in output  # the refresh lock in a per-process cache
    assert "wristband_django.E" not in output


def test_a_first_login_lands_on_the_home_page_and_a_logout_says_so(
    quickstart: Quickstart,
) -> None:
    home = f"{quickstart.origin}/"
    # Not the quickstart's: its logout_redirect_url names port 8000, the server listens on
    # another; the browser goes to the same URL on that port.
    browser = Browser(origins={QUICKSTART_ORIGIN: quickstart.origin})
    with localhost_subdomains_resolve():
        first = browser.open(home)
        assert first.status_code == 200
        assert "Nobody is logged in." in first.text

        landed = log_in(browser, home, "acme", "admin@acme.test")
        assert (landed.status_code, landed.url) == (200, home), quickstart.log.read_text()
        assert "Logged in as admin@acme.test." in landed.text

        logged_out = browser.submit(landed, "Log out")
    assert logged_out.status_code == 200, quickstart.log.read_text()
    assert "Nobody is logged in." in logged_out.text
    back = [hop for hop in browser.hops if hop.startswith(QUICKSTART_ORIGIN)]
    assert back and back[-1].startswith(f"{QUICKSTART_ORIGIN}/?"), browser.hops
    assert browser.open(f"{quickstart.origin}/auth/session/").status_code == 401
    log = quickstart.log.read_text()
    assert "System check identified no issues" in log
    complaints = [
        line
        for line in log.splitlines()
        if re.search(r"Traceback|WARNING|ERROR", line)
        and not line.startswith("WARNING: This is a development server.")  # Django's own
    ]
    assert complaints == [], log


def test_the_test_recipe_passes_verbatim_in_the_project(quickstart: Quickstart) -> None:
    (quickstart.directory / "pytest.ini").write_text(code("recipe:pytest-ini"))
    (quickstart.directory / "conftest.py").write_text(code("recipe:conftest"))
    (quickstart.directory / "test_login.py").write_text(code("recipe:test"))

    # Without the fake's exports: a project's tests need no Wristband credentials.
    result = run([sys.executable, "-m", "pytest", "-q"], quickstart.directory, quickstart.env)
    assert re.search(r"\b3 passed\b", result.stdout), result.stdout


def test_wristband_check_passes_then_fails_with_a_wrong_client_secret(
    quickstart: Quickstart,
) -> None:
    assert manage(quickstart, "wristband_check").returncode == 0

    right = next(
        line for line in quickstart.printed.export_lines if "WRISTBAND_CLIENT_SECRET=" in line
    )
    wrong = f"export WRISTBAND_CLIENT_SECRET={shlex.quote('a-wrong-secret-' + 'x' * 32)}"
    mistyped = Printed(quickstart.printed.output.replace(right, wrong))
    result = manage(quickstart, "wristband_check", printed=mistyped, ok=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "client_id" in output and "client_secret" in output, output
