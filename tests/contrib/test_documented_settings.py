"""The DRF, django-ninja and pytest-plugin setups, as docs/apis.md and docs/testing.md show
them, work in a fresh interpreter.

Each test writes a small project into ``tmp_path`` whose settings and modules are the pages'
code blocks, read by their markers (so the test breaks when the docs drift), and runs it in a
new Python process: an import loop (DRF's ``rest_framework.views`` reads
``DEFAULT_AUTHENTICATION_CLASSES``, which names our module) only shows where nothing was
imported before the settings. What the pages leave to the reader (the base settings, the
URLconf, the views with handlers) is added here, marked "not the docs'". The fake Wristband
runs in this process; the project reaches it over HTTP. DRF and django-ninja are the
installed ones (``rest_framework.VERSION`` is in the failure message).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import rest_framework

import wristband_django
from tests.docs.docs_blocks import code
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.slow  # a new interpreter per test

#: Where the package under test is imported from (the source tree, or tox's installed wheel).
PACKAGE_PATH = str(Path(wristband_django.__file__).resolve().parent.parent)
INVALID_TOKEN = 'Bearer error="invalid_token"'

#: Not the docs': what `startproject` and the quickstart give a project, kept small.
BASE_SETTINGS = """\
SECRET_KEY = "documented-settings-test"
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "project_urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "wristband_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wristband_django.middleware.WristbandAuthMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
"""


def drf_blocks() -> tuple[str, str]:
    """Return docs/apis.md's DRF settings block and its ``HasWristbandRole`` example."""
    return code("apis:drf-settings"), code("apis:drf-roles")


def write_project(directory: Path, fake: FakeWristband, settings: str, **modules: str) -> None:
    """Write ``settings.py`` (the base settings, ``settings`` and the fake's
    ``WRISTBAND_AUTH``) and ``modules`` (name: source) into ``directory``."""
    wristband_auth = f"WRISTBAND_AUTH = {fake.auth_settings()!r}\n"  # not the docs'
    (directory / "settings.py").write_text(BASE_SETTINGS + wristband_auth + settings)
    for name, source in modules.items():
        (directory / f"{name}.py").write_text(textwrap.dedent(source))


def project_env(directory: Path, **extra: str) -> dict[str, str]:
    """This environment for a project in ``directory``, without the outer run's Django
    settings and pytest state."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE" and not key.startswith(("PYTEST_", "WRISTBAND_"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(directory), PACKAGE_PATH])
    env.update(extra)
    return env


def run(args: list[str], directory: Path, **env: str) -> str:
    """Run ``args`` in the project; return its stdout, or fail showing its output."""
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        args,
        cwd=directory,
        env=project_env(directory, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    what = "the requests" if args[1] == "-c" else " ".join(args[1:3])
    assert result.returncode == 0, (
        f"DRF {rest_framework.VERSION}: {what} failed:\n{result.stdout}{result.stderr}"
    )
    return result.stdout


#: Not the docs': requests through the project's views, each answer's status, challenge and
#: body printed as JSON. The tokens come in the environment.
REQUESTS = """\
import json, os
import django

django.setup()
import rest_framework.views  # the import that looped on DRF's settings

from django.test import Client

answers = {}
for name, method, path, token in json.loads(os.environ["REQUESTS"]):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = getattr(Client(), method)(path, **headers)
    answers[name] = [response.status_code, response.get("WWW-Authenticate"),
                     response.content.decode()]
print(json.dumps(answers))
"""


def answers(
    directory: Path, requests: list[tuple[str, str, str, str | None]]
) -> dict[str, list[Any]]:
    """Return the project's answers to ``requests`` (name, method, path, bearer token)."""
    output = run(
        [sys.executable, "-c", REQUESTS],
        directory,
        DJANGO_SETTINGS_MODULE="settings",
        REQUESTS=json.dumps(requests),
    )
    result: dict[str, list[Any]] = json.loads(output.strip().splitlines()[-1])
    return result


def test_the_documented_drf_settings(tmp_path: Path, fake_wristband: FakeWristband) -> None:
    settings_block, roles_block = drf_blocks()
    write_project(
        tmp_path,
        fake_wristband,
        settings_block,
        invoices=roles_block,
        project_urls="""\
            # Not the docs': views with the settings' defaults, and a handler for theirs.
            from django.urls import path
            from rest_framework.response import Response
            from rest_framework.views import APIView

            from invoices import InvoiceApproval


            class Hello(APIView):
                def get(self, request):
                    return Response({"user": request.user.pk})


            class Approve(InvoiceApproval):
                def post(self, request):
                    return Response({"by": request.user.pk})


            urlpatterns = [path("hello/", Hello.as_view()), path("approve/", Approve.as_view())]
        """,
    )
    admin = fake_wristband.access_token_for("admin@acme.test")
    approver = fake_wristband.access_token_for(roles=[{"name": "app:invoices:admin"}])
    expired = fake_wristband.access_token_for(exp=1_000_000_000)
    got = answers(
        tmp_path,
        [
            ("anonymous", "get", "/hello/", None),
            ("bearer", "get", "/hello/", admin),
            ("expired", "get", "/hello/", expired),
            ("forged", "get", "/hello/", admin[:-4] + "AAAA"),
            ("approver", "post", "/approve/", approver),
            ("not an approver", "post", "/approve/", admin),
        ],
    )
    assert got["anonymous"][:2] == [401, 'Session realm="api"']  # the first class's
    assert got["bearer"][0] == 200 and json.loads(got["bearer"][2]) == {"user": "usr_acme_admin"}
    assert got["expired"][:2] == [401, INVALID_TOKEN]
    assert got["forged"][:2] == [401, INVALID_TOKEN]
    assert got["approver"][0] == 200
    assert got["not an approver"][0] == 403


def test_the_documented_ninja_api(tmp_path: Path, fake_wristband: FakeWristband) -> None:
    api_block = code("apis:ninja")
    write_project(
        tmp_path,
        fake_wristband,
        "",
        api=api_block,
        project_urls="""\
            # Not the docs': the URLconf, and an operation with the API's own auth classes.
            from django.urls import path

            from api import api


            @api.get("/me")
            def me(request):
                return {"user": request.auth.user_id}


            urlpatterns = [path("api/", api.urls)]
        """,
    )
    approver = fake_wristband.access_token_for(roles=[{"name": "app:invoices:admin"}])
    got = answers(
        tmp_path,
        [
            ("anonymous", "get", "/api/me", None),
            ("bearer", "get", "/api/me", approver),
            ("forged", "get", "/api/me", approver[:-4] + "AAAA"),
            ("approve, anonymous", "post", "/api/invoices/7/approve", None),
            ("approve, bearer", "post", "/api/invoices/7/approve", approver),
        ],
    )
    assert got["anonymous"][0] == 401
    assert got["bearer"][0] == 200 and json.loads(got["bearer"][2]) == {"user": "usr_acme_admin"}
    assert got["forged"][:2] == [401, INVALID_TOKEN]
    assert got["approve, anonymous"][0] == 401
    assert got["approve, bearer"][0] == 401  # the page's operation takes the session only


def test_the_documented_pytest_plugin_with_the_drf_settings(
    tmp_path: Path, fake_wristband: FakeWristband
) -> None:
    settings_block, _ = drf_blocks()
    write_project(
        tmp_path,
        fake_wristband,
        settings_block,
        conftest=code("recipe:conftest"),
        project_urls="""\
            # Not the docs': the app's endpoints and a view with DRF's defaults.
            from django.urls import include, path
            from rest_framework.response import Response
            from rest_framework.views import APIView


            class Hello(APIView):
                def get(self, request):
                    return Response({"user": request.user.pk})


            urlpatterns = [
                path("auth/", include("wristband_django.urls")),
                path("hello/", Hello.as_view()),
            ]
        """,
        test_project="""\
            def test_logged_in(wristband_client):
                assert wristband_client.get("/hello/").json() == {"user": "usr_acme_admin"}


            def test_anonymous(client, wristband_settings):
                assert client.get("/hello/").status_code == 401
        """,
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\nDJANGO_SETTINGS_MODULE = settings\n")
    output = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        tmp_path,
    )
    assert "2 passed" in output, output
