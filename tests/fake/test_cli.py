"""`python -m wristband_django.testing`: a fake Wristband to develop a site against, and the
demo's embedded fake, which must survive a busy port (the autoreloader, a fake already up)."""

from __future__ import annotations

import ast
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.docs.docs_blocks import code
from tests.docs.newcomer import Printed, exports_then, read_until
from tests.support.network import free_port
from wristband_django.testing import FakeWristband
from wristband_django.testing.cli import build_parser, describe, fake_from_args, main

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


@contextmanager
def cli(*args: str) -> Iterator[tuple[subprocess.Popen[str], Printed]]:
    """The command, started and listening; yields it and what it printed."""
    process = subprocess.Popen(  # noqa: S603
        [*CLI, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process, Printed(read_until(process, "pick a user"))
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def variables_read(settings_block: str) -> set[str]:
    """The environment variables a settings block reads: ``os.environ.get("X", ...)``,
    ``os.environ["X"]`` or ``os.getenv("X")``."""
    names = set()
    for node in ast.walk(ast.parse(settings_block)):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in {
            "os.environ.get",
            "os.getenv",
        }:
            names.add(ast.literal_eval(node.args[0]))
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(ast.literal_eval(node.slice))
    return names


def quickstart_settings(printed: Printed) -> dict[str, object]:
    """The ``WRISTBAND_AUTH`` the quickstart's settings block makes with what the fake
    printed: its export lines run by ``sh``, its settings lines after the block."""
    source = "\n".join([code("quickstart:settings"), *printed.settings_lines])
    script = (
        f"import json\nINSTALLED_APPS = []\nexec({source!r})\nprint(json.dumps(WRISTBAND_AUTH))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("WRISTBAND_")}
    result = subprocess.run(  # noqa: S603 (sh, then our own interpreter)
        exports_then(printed, [sys.executable, "-c", script]),
        env=env, capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    settings: dict[str, object] = json.loads(result.stdout)
    return settings


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


def test_it_exports_exactly_the_variables_the_quickstart_settings_read() -> None:
    printed = Printed(describe(FakeWristband(port=free_port())))
    exported = [line.removeprefix("export ").split("=")[0] for line in printed.export_lines]
    assert sorted(exported) == sorted(variables_read(code("quickstart:settings")))
    assert len(exported) == 3  # client id, secret, vanity domain; no second settings dict
    assert "WRISTBAND_AUTH = {" not in printed.output
    assert printed.settings_lines == ['WRISTBAND_AUTH["dangerously_allow_http_idp"] = True']


def test_what_it_prints_points_the_quickstart_settings_at_the_fake() -> None:
    secret = 'it\'s a $ecret; with `spaces` and "quotes" 0123456789abcdef'  # shell-quoted
    fake = FakeWristband(port=free_port(), client_secret=secret)
    settings = quickstart_settings(Printed(describe(fake)))
    assert {key: settings[key] for key in fake.auth_settings()} == fake.auth_settings()
    assert settings["client_secret"] == secret


def test_the_page_shows_what_it_prints_with_its_defaults() -> None:
    parser = build_parser()
    printed = Printed(describe(fake_from_args(parser.parse_args([]), parser)))
    assert "\n".join(printed.export_lines) + "\n" == code("testing:fake-exports")


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
    with cli("--port", str(port)) as (process, printed):
        environment = printed.environment
        assert environment["WRISTBAND_APPLICATION_VANITY_DOMAIN"] == f"localhost:{port}"
        assert environment["WRISTBAND_CLIENT_SECRET"]
        assert printed.settings_lines == ['WRISTBAND_AUTH["dangerously_allow_http_idp"] = True']

        base = f"http://127.0.0.1:{port}"
        client_id = environment["WRISTBAND_CLIENT_ID"]
        configuration = requests.get(
            f"{base}/api/v1/clients/{client_id}/sdk-configuration", timeout=5
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
    with cli(*args, "--redirect-uri", callback, *DEMO_CLIENT) as (_, printed):
        assert printed.environment["WRISTBAND_CLIENT_ID"] == "demo-client"
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
