"""The docs' shell blocks, the HAProxy configuration and the layout tree hold as written.

Commands that are cheap and offline run (the fake's command line, the corporate network's
``export`` lines, ``haproxy -c``). Those that install from PyPI or run for minutes (tox,
the benchmarks, ``pip install``, ``mkdocs serve``) are marked ``checked`` on their pages and
checked for what they name: the tox environments and extras exist, the README's and the
home page's commands are the same, the benchmark's knobs answer ``--help``. The README's
test command is the one ``.ci/run`` runs (``tests/docs/test_readme.py``).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.docs_blocks import ROOT, code
from tests.support.proxy_redaction import NETWORK_VARIABLES
from wristband_django.conf import parse_auth_config
from wristband_django.testing import FakeWristband
from wristband_django.wristband.route import Route

HAPROXY = next((p for p in ("/usr/sbin/haproxy", "/usr/bin/haproxy") if Path(p).exists()), None)
TOX = configparser.ConfigParser(interpolation=None)
TOX.read(ROOT / "tox.ini")
SETUP = configparser.ConfigParser(interpolation=None)
SETUP.read(ROOT / "setup.cfg")


def expand(pattern: str) -> list[str]:
    """Expand tox's ``{a,b}`` factors: ``py{310,311}-dj42`` is two environments."""
    match = re.search(r"\{([^}]*)\}", pattern)
    if not match:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [name for part in match[1].split(",") for name in expand(head + part + tail)]


def tox_envs() -> set[str]:
    """Return every environment tox.ini defines: its envlist and its own sections."""
    listed = {name for line in TOX["tox"]["envlist"].split() for name in expand(line)}
    return listed | {section.removeprefix("testenv:") for section in TOX.sections()}


def run(args: list[str], **kwargs: object) -> str:
    """Run a command; its output, or a failure that shows it."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, **kwargs)  # type: ignore[call-overload]  # noqa: S603
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}{result.stderr}"
    return str(result.stdout)


def test_the_try_it_commands_run_tox_environments_that_exist() -> None:
    commands = [code("readme:example"), code("readme:tests")]
    home = [code("index:example"), code("index:tests"), code("index:real-wristband")]
    assert home[:2] == commands  # the home page and the README say the same
    assert home[2].splitlines()[-1] == commands[0].strip()
    for command in commands:
        (envs,) = re.findall(r"-m tox -e (\S+)$", command.strip())
        assert set(envs.split(",")) <= tox_envs(), envs


def test_the_real_wristband_variables_are_the_ones_the_example_reads() -> None:
    exported = re.findall(r"\b(WRISTBAND_[A-Z_]+)=", code("index:real-wristband"))
    assert len(exported) == 3
    example = (ROOT / "example_project" / "settings.py").read_text()
    passed = TOX["testenv:example"]["passenv"].split()
    for name in exported:
        assert name in example, name
        assert any(re.fullmatch(p.replace("*", ".*"), name) for p in passed), name


def test_the_install_commands_name_extras_that_exist() -> None:
    assert code("quickstart:install") == code("readme:install")
    assert "[" not in code("readme:install")  # the quickstart needs no extra
    extras = set(SETUP["options.extras_require"])
    for marker in ("readme:docs-preview", "development:docs-preview"):
        named = re.findall(r"\[([a-z,]+)\]", code(marker))
        assert named, marker
        assert {e for group in named for e in group.split(",")} <= extras, marker
    assert code("readme:docs-preview") == code("development:docs-preview")
    preview = code("development:docs-preview")
    assert "mkdocs serve" in preview and (ROOT / "mkdocs.yml").exists()
    assert "dev_addr" not in (ROOT / "mkdocs.yml").read_text()  # so mkdocs's 127.0.0.1:8000
    assert "http://127.0.0.1:8000" in preview


def test_the_benchmark_commands_name_scripts_that_start_the_benchmarks() -> None:
    for block, module in (
        (code("performance:run"), "bench"),
        (code("deployment:scale"), "bench.scale"),
    ):
        (script,) = re.findall(r"^python3 (benchmarks/\S+\.py)$", block, re.MULTILINE)
        source = (ROOT / script).read_text()
        assert f'"-m", "{module}", *sys.argv[1:]' in source, script  # what the venv runs
    for name in re.findall(
        r"^\S+ = \{?\"?([\w.-]+\.txt)", (ROOT / "benchmarks/run.py").read_text()
    ):
        assert (ROOT / "benchmarks" / name).exists(), name


@pytest.mark.slow
def test_the_scale_benchmark_answers_help() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "benchmarks")])}
    out = run([sys.executable, "-m", "bench.scale", "--help"], cwd=ROOT, env=env)
    assert "--no-doc" in out and "--down-after-ms" in out


@pytest.mark.slow
def test_the_fake_server_command_takes_the_options_the_page_names() -> None:
    command = code("testing:fake-server").split("#")[0].split()
    assert command == ["python", "-m", "wristband_django.testing"]
    out = run([sys.executable, *command[1:], "--help"])
    page = (ROOT / "docs" / "testing.md").read_text()
    named = set(re.findall(r"`(--[a-z-]+)", page)) | set(
        re.findall(r"(--[a-z-]+)", code("testing:fake-server"))
    )
    assert {"--port", "--host", "--login-url", "--redirect-uri", "--tenant-subdomains"} <= named
    for option in named:
        assert option in out, option
    assert "8001" in out and "127.0.0.1" in out  # the defaults the block's comment gives


@pytest.mark.proxy  # CI requires it (WRISTBAND_REQUIRE_PROXY)
@pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed (Debian: haproxy)")
def test_the_haproxy_configuration_is_valid_and_the_one_the_harness_writes(tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(code("deployment:haproxy"))
    run([str(HAPROXY), "-c", "-f", str(config)])
    harness = (ROOT / "tests" / "deployment" / "scale_harness.py").read_text()
    for line in code("deployment:haproxy").splitlines():
        if not re.search(r"\d+\.\d+\.\d+\.\d+", line):  # the addresses are the machines'
            assert f'"{line}\\n"' in harness, f"the harness does not write {line!r}"


def test_the_corporate_network_variables_make_the_route_the_page_says(
    monkeypatch: pytest.MonkeyPatch, wristband: FakeWristband
) -> None:
    shown = "import json, os; print(json.dumps(dict(os.environ)))"
    script = f"{code('deployment:corporate-env')}\n{sys.executable} -c '{shown}'\n"
    env = json.loads(run(["bash", "-euc", script], env={"PATH": os.environ["PATH"]}))
    for name in NETWORK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTPS_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE"):
        monkeypatch.setenv(name, env[name])
    config = parse_auth_config({**wristband.auth_settings(), "proxy_url": None})
    route = Route.resolve(config, "https://yourapp-yourco.us.wristband.dev/api/v1/oauth2/token")
    assert (route.proxy, route.proxy_source) == ("http://proxy.corp.example:3128", "HTTPS_PROXY")
    assert (route.ca_bundle, route.ca_bundle_source) == (
        env["REQUESTS_CA_BUNDLE"],
        "REQUESTS_CA_BUNDLE",
    )
    direct = Route.resolve(config, "https://wristband.internal.example/")
    assert direct.proxy is None and direct.proxy_source == "NO_PROXY"


def test_the_layout_tree_names_every_module_of_the_internal_packages() -> None:
    tree = code("development:layout")
    packages = re.split(r"^(wristband_django/[a-z_]+/)", tree, flags=re.MULTILINE)[1:]
    described = dict(zip(packages[::2], packages[1::2], strict=True))
    assert set(described) == {
        f"wristband_django/{p}/" for p in ("web", "flows", "wristband", "store", "telemetry")
    }
    for package, text in described.items():
        words = set(re.findall(r"[a-z_]+", text))
        modules = {p.stem for p in (ROOT / package).glob("*.py") if p.stem != "__init__"}
        assert modules <= words, f"{package}: {sorted(modules - words)} not in the layout"


def test_the_react_provider_names_the_apps_urls_and_csrf_names(settings: object) -> None:
    from django.conf import global_settings
    from django.urls import reverse

    props = dict(re.findall(r'(\w+)="([^"]*)"', code("front-ends:react")))
    assert props == {
        "loginUrl": reverse("wristband:login"),
        "sessionUrl": reverse("wristband:session"),
        "tokenUrl": reverse("wristband:token"),
        "csrfCookieName": global_settings.CSRF_COOKIE_NAME,
        "csrfHeaderName": "X-CSRFToken",
    }
    assert global_settings.CSRF_HEADER_NAME == "HTTP_X_CSRFTOKEN"
