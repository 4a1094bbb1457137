#!/usr/bin/env python
"""Time a newcomer's way from a fresh clone to a logged-in user in their own project.

    python scripts/first_half_hour.py                  # clone this checkout's HEAD
    python scripts/first_half_hour.py --working-tree   # ... with its uncommitted changes

Follows the README (install), the quickstart (startproject, its blocks pasted as they are,
migrate, runserver) and "Develop against the fake" (python -m wristband_django.testing, its
export lines and settings line), then logs in the way a person does: the home page's *Log
in*, the fake's tenant discovery and login pages, back on the home page, which must say who
is logged in. Each step runs as a command in a temporary directory and is timed; the time a
person takes to read and paste is not counted. The servers listen on 8000 and 8001 when those
are free, else on free ports (the fake told the app's URLs, as the docs say for another port).

Needs ``requests`` in the interpreter that runs it (the dev venv has it) and whatever
``pip install`` needs to reach (PyPI, or the pip configuration's index).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_PORT, FAKE_PORT = 8000, 8001


class Stopwatch:
    """The steps' times, in the order they ran."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        print(f"... {name}", flush=True)
        started = time.monotonic()
        yield
        self.steps.append((name, time.monotonic() - started))

    def report(self, untimed: list[str]) -> str:
        width = max(len(name) for name, _ in self.steps)
        lines = [f"{name:<{width}}  {seconds:7.1f} s" for name, seconds in self.steps]
        total = sum(seconds for _, seconds in self.steps)
        lines += ["-" * (width + 11), f"{'total':<{width}}  {total:7.1f} s"]
        return "\n".join([*lines, *(f"(not timed: {what})" for what in untimed)])


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; its output, or exit showing it."""
    result = subprocess.run(  # noqa: S603 (fixed commands of this script)
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def free(port: int) -> bool:
    """Whether nothing listens on `port` on 127.0.0.1."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ports() -> tuple[int, int]:
    """runserver's and the fake's default ports if free, else two free ones."""
    if free(APP_PORT) and free(FAKE_PORT):
        return APP_PORT, FAKE_PORT
    found = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            found.append(sock.getsockname()[1])
    return found[0], found[1]


def overlay_working_tree(clone: Path) -> None:
    """Copy this checkout's changed and new files (tracked or not ignored) into `clone`."""
    listed = run(["git", "ls-files", "-m", "-o", "--exclude-standard", "-z"], ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    deleted = run(["git", "ls-files", "-d", "-z"], ROOT)
    for name in filter(None, deleted.split("\0")):
        (clone / name).unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--working-tree", action="store_true", help="add this checkout's uncommitted changes"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="first-half-hour-"))
    clone, venv, project = work / "wristband-django", work / "venv", work / "mysite"
    watch, untimed = Stopwatch(), []
    try:
        with watch.step("git clone"):
            run(["git", "clone", "--quiet", str(ROOT), str(clone)], work)
        if options.working_tree:
            overlay_working_tree(clone)
            untimed.append("this checkout's uncommitted changes copied into the clone")
        sys.path.insert(0, str(clone))  # the clone's docs and helpers, not this checkout's
        from tests.docs.docs_blocks import code
        from tests.docs.newcomer import (
            Browser,
            exports_then,
            fake_wristband,
            localhost_subdomains_resolve,
            log_in,
            paste_quickstart,
            wait_until_serving,
        )

        python = str(venv / "bin" / "python")
        with watch.step("python -m venv"):
            run([sys.executable, "-m", "venv", str(venv)], work)
        install = code("readme:install").splitlines()[0].split("#")[0].split()
        assert install[:2] == ["pip", "install"], install
        with watch.step(f"pip install (the README's: {' '.join(install)})"):
            target = install[2].replace("/path/to/wristband-django", str(clone))
            run([python, "-m", "pip", "install", "--quiet", target], work)
        project.mkdir()
        with watch.step("django-admin startproject mysite ."):
            run([str(venv / "bin" / "django-admin"), "startproject", "mysite", "."], project)
        app_port, fake_port = ports()
        origin = f"http://localhost:{app_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WRISTBAND_", "DJANGO_"))}
        env.pop("REDIS_URL", None)
        env.pop("PYTHONPATH", None)
        with ExitStack() as servers:
            with watch.step("python -m wristband_django.testing (until it prints)"):
                fake = fake_wristband(python, fake_port, origin, cwd=project)
                _, printed = servers.enter_context(fake)
            with watch.step("paste the quickstart's blocks and the fake's line"):
                paste_quickstart(project, printed)
            with watch.step("manage.py migrate"):
                migrate = [python, "manage.py", "migrate", "-v", "0"]
                run(exports_then(printed, migrate), project, env)
            log = work / "runserver.log"
            command = [python, "manage.py", "runserver", "--noreload", str(app_port)]
            with watch.step("manage.py runserver (until it answers)"), log.open("w") as out:
                server = subprocess.Popen(  # noqa: S603 (our venv's interpreter)
                    exports_then(printed, command), cwd=project, env=env,
                    stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip
                servers.callback(server.wait, 10)
                servers.callback(server.terminate)
                wait_until_serving(f"{origin}/", server, log)
            # The quickstart's logout_redirect_url names port 8000 (unused by a login).
            browser = Browser(origins={"http://localhost:8000": origin})
            with watch.step("log in through the fake's pages"), localhost_subdomains_resolve():
                landed = log_in(browser, f"{origin}/", "acme", "admin@acme.test")
            if "Logged in as admin@acme.test" not in landed.text:
                sys.exit(f"the login did not land logged in:\n{landed.text}")
        print(f"\nFrom a fresh clone to a logged-in user (in {work}):\n")
        print(watch.report(untimed))
        print(f"\nLanded on {landed.url}: {landed.text.split('<')[0].strip()}")
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
