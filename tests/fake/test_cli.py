"""`python -m wristband_django.testing`: a fake Wristband to develop a site against, and the
demo's embedded fake, which must survive a busy port (the autoreloader, a fake already up)."""

from __future__ import annotations

import ast
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.network import free_port
from wristband_django.testing.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent
CLI = [sys.executable, "-m", "wristband_django.testing"]
DEMO_CLIENT = ["--client-id", "demo-client"]
DEMO_SECRET = ["--client-secret", "demo-client-secret-not-for-production-use"]


@contextmanager
def listening_socket(port: int) -> Iterator[socket.socket]:
    """Something that is not a fake Wristband, listening on `port`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield sock


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 20) -> str:
    """The process's stdout up to and including the first line containing `marker`."""
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


def printed_settings(output: str) -> dict[str, Any]:
    literal = output.split("WRISTBAND_AUTH = ", 1)[1].split("\n}\n", 1)[0] + "\n}"
    settings = ast.literal_eval(literal)
    assert isinstance(settings, dict)
    return settings


@contextmanager
def cli(*args: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """The command, started and listening; yields it and the settings it printed."""
    process = subprocess.Popen(  # noqa: S603
        [*CLI, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process, printed_settings(read_until(process, "pick a user"))
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


# --- in-process: fast -------------------------------------------------------------------------


def test_a_busy_port_is_one_line_and_status_2() -> None:
    port = free_port()
    out, err = io.StringIO(), io.StringIO()
    with listening_socket(port):
        assert main(["--port", str(port)], stdout=out, stderr=err) == 2
    assert (
        err.getvalue()
        == f"port {port} is in use: pass --port with a free port (e.g. --port {port + 1})\n"
    )
    assert out.getvalue() == ""


def test_tenant_subdomain_urls_need_the_placeholder(capsys: pytest.CaptureFixture[str]) -> None:
    login_url = "http://localhost:8000/auth/login/"  # no {tenant_name}
    with pytest.raises(SystemExit) as exit_:
        main(["--port", str(free_port()), "--tenant-subdomains", "--login-url", login_url])
    assert exit_.value.code == 2
    assert "{tenant_name}" in capsys.readouterr().err


# --- the command in a subprocess --------------------------------------------------------------


@pytest.mark.slow
def test_prints_settings_serves_and_exits_cleanly_on_ctrl_c() -> None:
    port = free_port()
    with cli("--port", str(port)) as (process, settings):
        assert settings["wristband_application_vanity_domain"] == f"localhost:{port}"
        assert settings["dangerously_allow_http_idp"] is True
        assert settings["client_id"] and settings["client_secret"]

        base = f"http://127.0.0.1:{port}"
        configuration = requests.get(
            f"{base}/api/v1/clients/{settings['client_id']}/sdk-configuration", timeout=5
        )
        assert configuration.status_code == 200
        assert configuration.json()["loginUrl"] == "http://localhost:8000/auth/login/"
        assert configuration.json()["redirectUri"] == "http://localhost:8000/auth/callback/"
        assert requests.get(f"{base}/api/v1/oauth2/jwks", timeout=5).json()["keys"]

        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    with pytest.raises(requests.ConnectionError):  # the port is released
        requests.get(f"http://127.0.0.1:{port}/api/v1/oauth2/jwks", timeout=2)


@pytest.mark.slow
def test_sigterm_is_a_clean_exit_too() -> None:
    with cli("--port", str(free_port())) as (process, _):
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_a_second_instance_on_the_same_port_says_so_in_one_line_and_exits_2() -> None:
    port = free_port()
    with cli("--port", str(port)) as (first, _):
        started = time.monotonic()
        second = subprocess.run(  # noqa: S603
            [*CLI, "--port", str(port)], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        assert time.monotonic() - started < 5
        assert second.returncode == 2
        assert second.stdout == ""
        assert second.stderr.count("\n") == 1
        assert f"port {port} is in use" in second.stderr
        assert "Traceback" not in second.stderr
        assert first.poll() is None  # the first one still serves
        requests.get(f"http://127.0.0.1:{port}/api/v1/oauth2/jwks", timeout=5).raise_for_status()


@pytest.mark.slow
def test_tenant_subdomains_and_custom_urls_reach_auto_configuration() -> None:
    port = free_port()
    login = "http://{tenant_name}.myapp.test:9000/accounts/login/"
    callback = "http://{tenant_name}.myapp.test:9000/accounts/callback/"
    args = ["--port", str(port), "--tenant-subdomains", "myapp.test", "--login-url", login]
    with cli(*args, "--redirect-uri", callback, *DEMO_CLIENT) as (_, settings):
        assert settings["client_id"] == "demo-client"
        configuration = requests.get(
            f"http://127.0.0.1:{port}/api/v1/clients/demo-client/sdk-configuration", timeout=5
        ).json()
    assert configuration["loginUrl"] == login
    assert configuration["redirectUri"] == callback
    assert configuration["loginUrlTenantDomainSuffix"] == "myapp.test"


# --- the demo's embedded fake on a busy port --------------------------------------------------


def demo_env(tmp_path: Path, app_port: int, fake_port: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WRISTBAND_", "DJANGO_"))},
        "PORT": str(app_port),
        "DEMO_WRISTBAND_PORT": str(fake_port),
        "DEMO_TENANT_SUBDOMAINS": "0",
        "DJANGO_SQLITE_PATH": str(tmp_path / "demo.sqlite3"),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.mark.slow
def test_the_demo_uses_a_fake_already_started_for_it(tmp_path: Path) -> None:
    app_port, fake_port = free_port(), free_port()
    origin = f"http://localhost:{app_port}"
    urls = ["--login-url", f"{origin}/auth/login/", "--redirect-uri", f"{origin}/auth/callback/"]
    with cli("--port", str(fake_port), *DEMO_CLIENT, *DEMO_SECRET, *urls):
        demo = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{app_port}"],
            cwd=ROOT, env=demo_env(tmp_path, app_port, fake_port),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            line = read_until(demo, "Fake Wristband")
            assert f"using the one already listening on port {fake_port}" in line
            deadline = time.monotonic() + 20
            while True:  # and the demo goes on serving
                try:  # refused at once until it listens; then its first page may be slow
                    requests.get(f"http://127.0.0.1:{app_port}/", timeout=(1, 15))
                    break
                except requests.ConnectionError:
                    assert demo.poll() is None and time.monotonic() < deadline
                    time.sleep(0.2)
        finally:
            demo.terminate()
            _, stderr = demo.communicate(timeout=10)
    assert "Traceback" not in stderr


@pytest.mark.slow
@pytest.mark.parametrize("reloader", [True, False], ids=["autoreloader", "noreload"])
def test_the_demo_exits_with_one_line_when_something_else_holds_the_port(
    tmp_path: Path, reloader: bool
) -> None:
    app_port, fake_port = free_port(), free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{app_port}"]
    with listening_socket(fake_port):
        demo = subprocess.run(  # noqa: S603
            command if reloader else [*command, "--noreload"],
            cwd=ROOT, env=demo_env(tmp_path, app_port, fake_port),
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert demo.returncode == 2
    assert "Traceback" not in demo.stderr
    lines = demo.stderr.splitlines()
    assert len(lines) == 1 and f"port {fake_port} is in use" in lines[0], demo.stderr
