"""A newcomer's first half hour, scripted: the quickstart's blocks pasted into a
``startproject``, the fake Wristband run as ``python -m wristband_django.testing`` with what it
prints put where it says, ``runserver``, and a browser that logs in and out through the
project's home page and the fake's pages.

Used by ``tests/docs/test_quickstart.py`` (the quickstart, run as written) and
``scripts/first_half_hour.py`` (how long that takes from a fresh clone).
"""

from __future__ import annotations

import html
import re
import shlex
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from tests.docs.docs_blocks import code

#: More redirects than a login or logout takes: past this, the browser reports a loop.
MAX_HOPS = 20
LINK = re.compile(r"<a\b[^>]*\bhref=\"([^\"]+)\"[^>]*>(.*?)</a>", re.DOTALL)
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL)
HIDDEN = re.compile(r"<input\b[^>]*\btype=\"hidden\"[^>]*>")


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 20) -> str:
    """Return the process's stdout up to and including the first line containing `marker`."""
    assert process.stdout is not None
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    lines: list[str] = []
    try:
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                return "".join(lines)
    finally:
        watchdog.cancel()
    raise AssertionError(f"no {marker!r} within {timeout} s; stdout was:\n{''.join(lines)}")


@dataclass(frozen=True)
class Printed:
    """What ``python -m wristband_django.testing`` prints for the project."""

    output: str

    @property
    def export_lines(self) -> list[str]:
        """Return the ``export NAME=value`` lines, as printed."""
        return [line for line in self.output.splitlines() if line.startswith("export ")]

    @property
    def environment(self) -> dict[str, str]:
        """Return the variables the export lines set, as a shell reads them."""
        assignments = (shlex.split(line)[1] for line in self.export_lines)
        return dict(assignment.split("=", 1) for assignment in assignments)

    @property
    def settings_lines(self) -> list[str]:
        """Return the lines it says to add to ``settings.py``."""
        return [line for line in self.output.splitlines() if line.startswith("WRISTBAND_AUTH[")]


@contextmanager
def fake_wristband(
    python: str, port: int, app_origin: str, *, cwd: Path
) -> Iterator[tuple[subprocess.Popen[str], Printed]]:
    """Run the fake as a newcomer does, registered with the app at `app_origin`; yield the
    process once it listens, and what it printed. Stopped with Ctrl-C (SIGINT) afterwards."""
    command = [python, "-m", "wristband_django.testing", "--port", str(port)]
    urls = [f"--login-url={app_origin}/auth/login/", f"--redirect-uri={app_origin}/auth/callback/"]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [*command, *urls], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process, Printed(read_until(process, "pick a user"))
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=10)


def paste_quickstart(project: Path, printed: Printed) -> None:
    """Paste the quickstart's blocks into a ``startproject`` named ``mysite`` in `project`:
    the settings, the local-http line and the fake's settings line at the end of
    ``settings.py``, and the urls block as the whole ``urls.py``."""
    settings = project / "mysite" / "settings.py"
    added = [code("quickstart:settings"), code("quickstart:local-http"), *printed.settings_lines]
    settings.write_text("\n".join([settings.read_text(), *added, ""]))
    (project / "mysite" / "urls.py").write_text(code("quickstart:urls"))


def exports_then(printed: Printed, command: list[str]) -> list[str]:
    """Return a ``sh`` command line that runs the printed export lines, then `command`: the
    project's environment set the way the fake says to set it."""
    script = "\n".join([*printed.export_lines, f"exec {shlex.join(command)}"])
    return ["sh", "-c", script]


def wait_until_serving(url: str, server: subprocess.Popen[Any], log: Path) -> None:
    """Return once `url` answers; fail with the server's log if it exits or takes 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:  # refused at once until it listens; then its first answer may be slow
            requests.get(url, timeout=(2, 15))
        except requests.ConnectionError:
            time.sleep(0.1)
        else:
            return
    raise AssertionError(f"the server did not answer within 30 s:\n{log.read_text()}")


@contextmanager
def localhost_subdomains_resolve() -> Iterator[None]:
    """Resolve ``*.localhost`` (the fake's tenant hosts, e.g. ``acme.localhost``) to the
    loopback address while the block runs, as browsers do (RFC 6761); the system resolver
    may not."""
    original = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return original(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.getaddrinfo = original


def text_of(markup: str) -> str:
    """Return what a person reads in `markup`: no tags, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


class Browser:
    """A person's browser, scripted: it keeps cookies, follows redirects one at a time
    (``hops`` records each URL), clicks links by their text and submits forms by their
    button.

    ``origins`` maps an origin a page or redirect names to the one actually reached (the
    quickstart's ``http://localhost:8000`` when the server listens on another port)."""

    def __init__(self, origins: dict[str, str] | None = None) -> None:
        self.session = requests.Session()
        self.origins = origins or {}
        self.hops: list[str] = []

    def _reached(self, url: str) -> str:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        return self.origins.get(origin, origin) + url[len(origin) :]

    def open(self, url: str, *, data: dict[str, str] | None = None) -> requests.Response:
        """GET `url` (POST `data` to it, if given) and follow the redirects to the last page."""
        method, headers = "GET", {}
        if data is not None:
            parts = urlsplit(self._reached(url))
            method, headers = "POST", {"Origin": f"{parts.scheme}://{parts.netloc}"}
        for _ in range(MAX_HOPS):
            self.hops.append(url)
            response = self.session.request(
                method, self._reached(url), data=data, headers=headers, timeout=15,
                allow_redirects=False,
            )  # fmt: skip
            if not response.is_redirect:
                return response
            url = urljoin(url, response.headers["Location"])
            method, data, headers = "GET", None, {}
        raise AssertionError(f"a redirect loop: {self.hops[-MAX_HOPS:]}")

    def click(self, page: requests.Response, text: str) -> requests.Response:
        """Follow the link on `page` whose text contains `text`."""
        hrefs = [href for href, label in LINK.findall(page.text) if text in text_of(label)]
        assert hrefs, f"no link with {text!r} on {page.url}:\n{text_of(page.text)}"
        return self.open(urljoin(page.url, html.unescape(hrefs[0])))

    def submit(self, page: requests.Response, button: str) -> requests.Response:
        """Submit the form on `page` whose button says `button` (its hidden fields sent)."""
        for attributes, body in FORM.findall(page.text):
            if button in text_of(body):
                fields = {
                    attribute(field, "name"): attribute(field, "value")
                    for field in HIDDEN.findall(body)
                }
                target = urljoin(page.url, attribute(attributes, "action"))
                return self.open(target, data=fields)
        raise AssertionError(f"no form with {button!r} on {page.url}:\n{text_of(page.text)}")


def attribute(tag: str, name: str) -> str:
    """Return the value of attribute `name` in `tag` (its markup), or ``""``."""
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return html.unescape(found[1]) if found else ""


def log_in(browser: Browser, home: str, tenant: str, user: str) -> requests.Response:
    """Log `user` (an email) in from the home page: *Log in*, the tenant at the fake's
    tenant discovery, the user at its login page; return the page the login lands on."""
    discovery = browser.click(browser.open(home), "Log in")
    login_page = browser.click(discovery, tenant)
    return browser.click(login_page, user)
