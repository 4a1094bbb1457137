"""docs/fake-wristband.md, the fake's reference page (issue 25, point 7): it names every public
method and property of ``FakeWristband``, every name ``wristband_django.testing`` exports,
every fixture of the pytest plugin and every constructor argument, so it cannot drift from
the code; and its blocks run as written."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.urls import path

import wristband_django.testing as testing
from tests.docs.docs_blocks import DOCS, ROOT, code, splice
from tests.support.docs_project import exec_block, mount
from wristband_django.testing import FakeTenant, FakeUser, FakeWristband, log_in, pytest_plugin

PAGE = DOCS / "fake-wristband.md"


def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def headed_names() -> set[str]:
    """Return the names each heading of the page shows in backticks (``name(`` or ``name```)."""
    names: set[str] = set()
    for line in page().splitlines():
        if line.startswith("#"):
            names |= set(re.findall(r"`([A-Za-z_]\w*)[`(]", line))
    return names


def heading_of(name: str) -> str:
    """Return the heading line that documents ``name(...)``."""
    (line,) = [line for line in page().splitlines() if line.startswith("#") and f"`{name}(" in line]
    return line


def public_names() -> set[str]:
    """Return the public methods, properties and attributes of a (not started) fake."""
    return {name for name in dir(FakeWristband()) if not name.startswith("_")}


def plugin_fixtures() -> set[str]:
    """Return the names of the functions the pytest plugin declares as fixtures."""
    tree = ast.parse(Path(inspect.getfile(pytest_plugin)).read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(ast.unparse(d).startswith("pytest.fixture") for d in node.decorator_list)
    }


def test_every_public_name_of_the_fake_has_a_heading() -> None:
    names = public_names()
    assert {"access_token_for", "sign_access_token", "inject", "port", "settings"} <= names
    missing = names - headed_names()
    assert not missing, f"docs/fake-wristband.md has no heading for {sorted(missing)}"


def test_every_exported_name_and_fixture_has_a_heading() -> None:
    fixtures = plugin_fixtures()
    assert {"fake_wristband", "wristband_settings", "wristband_client", "wristband_bearer"} <= (
        fixtures
    )
    missing = (set(testing.__all__) | fixtures) - headed_names() - {"FakeWristband"}
    assert not missing, f"docs/fake-wristband.md has no heading for {sorted(missing)}"
    assert "`FakeWristband(**arguments)`" in page()


def test_every_constructor_argument_and_model_field_is_named() -> None:
    arguments = list(inspect.signature(FakeWristband.__init__).parameters)[1:]
    assert len(arguments) >= 16
    rows = set(re.findall(r"^\| `(\w+)` \|", page(), re.MULTILINE))
    assert set(arguments) <= rows, sorted(set(arguments) - rows)
    for model in (FakeTenant, FakeUser):
        heading = heading_of(model.__name__)
        missing = [f.name for f in dataclasses.fields(model) if f"{f.name}" not in heading]
        assert not missing, f"{heading!r} lacks {missing}"


def test_the_page_is_in_the_nav_and_linked_from_the_testing_page() -> None:
    assert "fake-wristband.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "(fake-wristband.md)" in (DOCS / "testing.md").read_text(encoding="utf-8")


# --- the page's blocks ----------------------------------------------------------------------


def test_the_standalone_block_runs_without_django(capsys: pytest.CaptureFixture[str]) -> None:
    namespace = exec_block(code("fake-wristband:standalone"))
    base_url, tenant_host = capsys.readouterr().out.split()
    port = re.fullmatch(r"http://localhost:(\d+)", base_url)
    assert port is not None and tenant_host == f"acme.localhost:{port[1]}"
    claims = jwt.decode(namespace["token"], options={"verify_signature": False})
    assert (claims["sub"], claims["tnt_id"], claims["iss"]) == ("usr_ada", "tnt_acme", base_url)
    assert claims["exp"] - claims["iat"] == 300


def test_the_scopes_block_lets_the_role_check_pass(
    fake_wristband: FakeWristband, wristband_settings: dict[str, Any], settings: Any
) -> None:
    default = {k: v for k, v in wristband_settings.items() if k != "scopes"}  # the package's
    made = splice(code("fake-wristband:scopes"), {"WRISTBAND_AUTH": default})["WRISTBAND_AUTH"]
    assert made == {**default, "scopes": made["scopes"]}
    for auth, status in ((default, 403), (made, 200)):
        settings.WRISTBAND_AUTH = auth
        client = Client()
        log_in(client, fake_wristband, "admin@acme.test")  # role app:admin at Wristband
        assert client.get("/admins/").status_code == status
    assert client.get("/auth/session/").json()["userId"] == "usr_acme_admin"


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.wristband_user.user_id})  # type: ignore[attr-defined]


@pytest.mark.wristband_settings(protected_paths=["/api/"], protected_paths_strategies=["bearer"])
def test_the_bearer_block_passes_in_a_project_with_a_bearer_api(
    settings: Any, monkeypatch: pytest.MonkeyPatch, wristband_bearer: Any
) -> None:
    mount(settings, monkeypatch, path("api/hello/", hello))
    tests = exec_block(code("fake-wristband:bearer-test"))
    tests["test_the_api_takes_a_bearer_token"](Client(), wristband_bearer)
    tests["test_an_expired_token_is_refused"](Client(), wristband_bearer)
    # and the API is really guarded: no token, a token of the past, a forged one
    assert Client().get("/api/hello/").status_code == 401
    stale = wristband_bearer(exp=int(time.time()) - 60)
    assert Client().get("/api/hello/", **stale).status_code == 401
    body = Client().get("/api/hello/", **wristband_bearer("member@globex.test")).json()
    assert body == {"user": "usr_globex_member"}
