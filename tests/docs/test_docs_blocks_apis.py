"""docs/apis.md's blocks run: the guards, the types, bearer validation, machine-to-machine
tokens, signals, Django users with roles, step-up, and the login-failure signal and hook.

Blocks that are whole modules run as written (``myproject/...`` files become the modules of
a package); partial ones run in the context their marker names, the reader's code in place
of their ``...``. Views are mounted in a URLconf and called through Django's test client,
logged in through the fake Wristband; bearer tokens are the fake's. The DRF and django-ninja
blocks run in a fresh interpreter in ``tests/contrib/test_documented_settings.py``; the
"Django users" section's linking and bearer blocks in ``tests/integration``.
"""

from __future__ import annotations

import configparser
import importlib.util
import logging
import re
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from tests.docs.docs_blocks import ROOT, code, splice
from tests.docs.test_docs_blocks_code import celery_stand_in
from tests.support.auth_helpers import start_login, stored_entry
from tests.support.docs_project import exec_block, filled, mount, project_files
from wristband_django.bearer import validate_access_token
from wristband_django.signals import login_completed, login_failed
from wristband_django.testing import FakeUser, FakeWristband, log_in
from wristband_django.types import WristbandSession

pytestmark = pytest.mark.usefixtures("wristband")

SETUP = configparser.ConfigParser(interpolation=None)
SETUP.read(ROOT / "setup.cfg")


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def with_get(view_class: type) -> Any:
    """A page's class-based view with a handler (the page's have none), as a view."""
    handler = type("Mounted", (view_class,), {"get": lambda self, request: HttpResponse("ok")})
    return handler.as_view()


def logged_in_as(fake: FakeWristband, user: str) -> Client:
    client = Client()
    assert log_in(client, fake, user).status_code == 302
    return client


# --- protecting views ----------------------------------------------------------------------------


@pytest.fixture
def guards(tmp_path: Path, settings: Any) -> dict[str, Any]:
    """The page's first block, run as written; a ``dashboard.html`` for its page."""
    (tmp_path / "dashboard.html").write_text("Dashboard of {{ request.wristband.user_id }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    return exec_block(code("apis:guards"))


def test_the_guards_answer_an_api_with_401_and_a_page_with_a_login_redirect(
    guards: dict[str, Any], settings: Any, monkeypatch: pytest.MonkeyPatch, wristband: FakeWristband
) -> None:
    mount(
        settings,
        monkeypatch,
        path("profile/", guards["profile"]),
        path("dashboard/", guards["Dashboard"].as_view()),
    )
    anonymous = Client().get("/profile/")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unauthorized" and anonymous.json()["loginUrl"]
    page = Client().get("/dashboard/")
    assert page.status_code == 302
    login = urlsplit(page["Location"])
    assert login.path == "/auth/login/" and parse_qs(login.query)["return_url"][0].endswith(
        "/dashboard/"
    )
    client = logged_in_as(wristband, "member@acme.test")
    assert client.get("/profile/").json() == {"user": "usr_acme_member"}
    assert client.get("/dashboard/").content.decode() == "Dashboard of usr_acme_member"


def test_the_strategies_take_a_session_or_a_token_as_declared(
    guards: dict[str, Any], settings: Any, monkeypatch: pytest.MonkeyPatch, wristband: FakeWristband
) -> None:
    from django.views import View

    reader = 'return JsonResponse({"user": user.user_id, "by": user.authenticated_by})'
    block = filled(code("apis:strategies"), ("    ...\n", f"    {reader}\n"))
    views = exec_block(block, {**guards, "View": View})
    mount(
        settings,
        monkeypatch,
        path("orders/", views["orders"]),
        path("reports/", with_get(views["Reports"])),
    )
    token = wristband.access_token_for("member@acme.test")
    session = logged_in_as(wristband, "admin@acme.test")
    anonymous = Client().get("/orders/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Bearer"
    assert session.get("/orders/").json() == {"user": "usr_acme_admin", "by": "session"}
    by_token = Client().get("/orders/", **bearer(token)).json()
    assert by_token == {"user": "usr_acme_member", "by": "bearer"}
    assert Client().get("/orders/", **bearer(token[:-4] + "AAAA")).status_code == 401
    assert session.get("/reports/").status_code == 401  # bearer only
    assert Client().get("/reports/", **bearer(token)).status_code == 200


def test_the_roles_let_in_a_caller_with_one_of_them(
    guards: dict[str, Any], settings: Any, monkeypatch: pytest.MonkeyPatch, wristband: FakeWristband
) -> None:
    from django.views import View

    approve = "def approve(request):\n    return HttpResponse('approved')"
    block = filled(code("apis:roles"), ("def approve(request): ...", approve))
    views = exec_block(block, {**guards, "View": View, "HttpResponse": HttpResponse})
    mount(
        settings,
        monkeypatch,
        path("approve/", views["approve"]),
        path("settings/", with_get(views["Settings"])),
    )
    for name, role in (("accountant", "app:invoices:accountant"), ("boss", "app:invoices:admin")):
        wristband.add_user(
            FakeUser(
                sub=f"usr_acme_{name}",
                tenant="acme",
                email=f"{name}@acme.test",
                roles=({"id": f"rol_{name}", "name": role, "display_name": name},),
            )
        )
    accountant = logged_in_as(wristband, "accountant@acme.test")
    boss = logged_in_as(wristband, "boss@acme.test")
    admin = logged_in_as(wristband, "admin@acme.test")  # app:admin: neither role
    assert Client().get("/approve/").status_code == 401
    assert [c.get("/approve/").status_code for c in (accountant, boss, admin)] == [200, 200, 403]
    assert admin.get("/approve/").json()["error"] == "forbidden"
    assert [c.get("/settings/").status_code for c in (accountant, boss, admin)] == [403, 200, 403]


def test_the_typed_view_reads_the_session(
    settings: Any, monkeypatch: pytest.MonkeyPatch, wristband: FakeWristband
) -> None:
    views = exec_block(code("apis:types"))
    mount(settings, monkeypatch, path("orders/", views["orders"]))
    assert Client().get("/orders/").status_code == 401
    client = logged_in_as(wristband, "member@globex.test")
    assert client.get("/orders/").json() == {"tenant": "tnt_globex"}


# --- bearer tokens outside views ---------------------------------------------------------------


def validated(token: str) -> dict[str, Any]:
    """Run the page's validation block on ``token``; what it decided is in ``outcome``."""
    block = filled(
        code("apis:validate"),
        ("...  # refuse (401)", 'outcome = "refuse"'),
        ("...  # retry later (503): not proof that the token is bad", 'outcome = "retry later"'),
    )
    return exec_block(block, {"token": token})


def test_the_validation_block_reads_a_good_token_and_refuses_a_bad_one(
    wristband: FakeWristband,
) -> None:
    token = wristband.access_token_for("member@globex.test")
    good = validated(token)
    assert (good["tenant"], "outcome" in good) == ("tnt_globex", False)
    for bad in (token[:-4] + "AAAA", wristband.access_token_for(exp=1_000_000_000), "x.y.z"):
        refused = validated(bad)
        assert (refused["outcome"], "tenant" in refused) == ("refuse", False)


def test_the_validation_block_tells_an_outage_from_a_bad_token(wristband: FakeWristband) -> None:
    token = wristband.access_token_for("member@acme.test")
    wristband.inject("jwks", status=503, times=None)  # the keys are not cached yet
    assert validated(token)["outcome"] == "retry later"


# --- installing the extras -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "extra", "package"),
    [
        pytest.param(code("apis:drf-install"), "drf", "djangorestframework", id="drf"),
        pytest.param(code("apis:ninja-install"), "ninja", "django-ninja", id="ninja"),
    ],
)
def test_the_install_commands_name_an_extra_that_brings_the_framework(
    block: str, extra: str, package: str
) -> None:
    (command,) = block.splitlines()
    assert re.match(rf'pip install "/path/to/wristband-django\[{extra}\]"\s+#', command), command
    (requirement,) = SETUP["options.extras_require"][extra].split()
    assert requirement.startswith(f"{package}>="), requirement
    if extra == "ninja":  # "django-ninja 1.x": the floor and the tested version are 1.x
        assert "django-ninja 1.x" in command
        assert requirement.split(">=")[1].split(".")[0] == version(package).split(".")[0] == "1"


# --- machine-to-machine tokens -------------------------------------------------------------------


class Answers:
    """``requests.get`` for the reports API: records each call, answers the given statuses."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __call__(self, url: str, headers: dict[str, str], timeout: float) -> requests.Response:
        self.calls.append((url, headers))
        answer = requests.Response()
        answer.status_code = self.statuses.pop(0)
        answer.url = url
        return answer

    def tokens(self) -> list[str]:
        return [headers["Authorization"].removeprefix("Bearer ") for _, headers in self.calls]


@pytest.fixture
def m2m(wristband: FakeWristband, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The page's provider and Celery task modules, as written, with a machine client at the
    fake; Celery's stand-in when Celery is not installed."""
    wristband.add_machine_client("m2m-client", "m2m-secret-0123456789")
    monkeypatch.setenv("WRISTBAND_M2M_CLIENT_ID", "m2m-client")
    monkeypatch.setenv("WRISTBAND_M2M_CLIENT_SECRET", "m2m-secret-0123456789")
    if importlib.util.find_spec("celery") is None:
        monkeypatch.setitem(sys.modules, "celery", celery_stand_in())
    modules = {"wristband_m2m": code("apis:m2m-provider"), "reports": code("apis:m2m-task")}
    with project_files(tmp_path, monkeypatch, **modules):
        from myproject import reports  # type: ignore[import-not-found]

        yield reports


def test_the_provider_gets_one_machine_token_and_a_new_one_after_a_401(
    m2m: Any, wristband: FakeWristband, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = Answers(200, 200, 401, 200)
    monkeypatch.setattr(requests, "get", answers)
    assert m2m.call_reports_api("/v1/a").status_code == 200
    assert m2m.call_reports_api("/v1/b").status_code == 200
    first, same = answers.tokens()
    assert first == same  # cached
    claims = validate_access_token(first)
    assert (claims.is_machine, claims.client_id) == (True, "m2m-client")
    assert m2m.call_reports_api("/v1/c").status_code == 200  # 401, then a new token
    rejected, renewed = answers.tokens()[2:]
    assert rejected == first and renewed != first
    assert validate_access_token(renewed).is_machine
    assert [url for url, _ in answers.calls] == [
        "https://reports.internal/v1/a",
        "https://reports.internal/v1/b",
        "https://reports.internal/v1/c",
        "https://reports.internal/v1/c",
    ]
    assert len(wristband.calls("token", grant_type="client_credentials")) == 2


def test_the_nightly_task_calls_the_api_and_fails_on_an_error(
    m2m: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = Answers(200, 500)
    monkeypatch.setattr(requests, "get", answers)
    m2m.nightly_report.delay()
    with pytest.raises(requests.HTTPError):
        m2m.nightly_report.delay()
    assert [url for url, _ in answers.calls] == ["https://reports.internal/v1/nightly"] * 2


# --- signals -------------------------------------------------------------------------------------


def test_the_login_completed_receiver_gets_the_documented_arguments(
    wristband: FakeWristband,
) -> None:
    body = "**kwargs):\n    calls.append((request, wristband_session, custom_state))"
    block = filled(code("apis:signal-receiver"), ("**kwargs): ...", body))
    receivers = exec_block(block, {"calls": []})
    try:
        client = logged_in_as(wristband, "member@acme.test")
    finally:
        login_completed.disconnect(receivers["on_login"], sender=WristbandSession)
    ((request, wristband_session, custom_state),) = receivers["calls"]
    assert request.path == "/auth/callback/" and custom_state is None
    assert wristband_session.user_id == "usr_acme_member"
    assert stored_entry(client) is not None


# --- Django users ------------------------------------------------------------------------------


@pytest.fixture
def roles_adapter(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The page's settings block on the suite's settings, its adapter as myproject/auth.py."""
    base = {
        "WRISTBAND_AUTH": settings.WRISTBAND_AUTH,
        "AUTHENTICATION_BACKENDS": settings.AUTHENTICATION_BACKENDS,
    }
    made = splice(code("apis:django-users-settings"), base)
    settings.WRISTBAND_AUTH = made["WRISTBAND_AUTH"]
    settings.AUTHENTICATION_BACKENDS = made["AUTHENTICATION_BACKENDS"]
    assert settings.WRISTBAND_AUTH["user_adapter"] == "myproject.auth.RolesAdapter"
    with project_files(tmp_path, monkeypatch, auth=code("apis:roles-adapter")):
        yield


def test_a_wristband_admin_gets_a_staff_user_with_the_role_as_group_and_opens_the_admin(
    roles_adapter: None, wristband: FakeWristband
) -> None:
    admin = logged_in_as(wristband, "admin@acme.test")
    member = logged_in_as(wristband, "member@acme.test")
    users = {user.username: user for user in get_user_model().objects.all()}
    staff = users["usr_acme_admin"]
    assert (staff.is_staff, staff.is_superuser, staff.email) == (True, True, "admin@acme.test")
    assert [group.name for group in staff.groups.all()] == ["app:admin"]
    plain = users["usr_acme_member"]
    assert (plain.is_staff, plain.is_superuser) == (False, False)
    assert [group.name for group in plain.groups.all()] == ["app:member"]
    assert admin.get("/admin/").status_code == 200
    assert member.get("/admin/").status_code == 302  # to the admin's login


# --- step-up -------------------------------------------------------------------------------------


def log_in_long_ago(client: Client, fake: FakeWristband, seconds: int = 600) -> None:
    """The user entered credentials at Wristband ``seconds`` ago, and logged in to the app
    since, silently, with that Wristband session."""
    browser = fake.new_browser()
    for _ in range(2):
        callback = urlsplit(browser.authorize(start_login(client)["Location"], "admin@acme.test"))
        assert client.get(f"{callback.path}?{callback.query}").status_code == 302
        fake.age_browser_sessions(seconds)
    entry = stored_entry(client)
    assert entry is not None and entry.auth_time is not None
    assert time.time() - entry.auth_time >= seconds


def test_step_up_sends_an_old_login_through_a_fresh_one(
    settings: Any, monkeypatch: pytest.MonkeyPatch, wristband: FakeWristband
) -> None:
    delete = "def delete_account(request):\n    return HttpResponse('deleted')"
    block = filled(code("apis:step-up"), ("def delete_account(request): ...", delete))
    views = exec_block(block, {"HttpResponse": HttpResponse})
    mount(
        settings,
        monkeypatch,
        path("delete/", views["delete_account"]),
        path("billing/", with_get(views["Billing"])),
    )
    fresh = logged_in_as(wristband, "admin@acme.test")
    assert fresh.get("/delete/").content == b"deleted"
    assert fresh.get("/billing/").status_code == 200
    old = Client()
    log_in_long_ago(old, wristband)
    for page in ("/delete/", "/billing/"):
        answer = old.get(page)
        assert answer.status_code == 302, page
        login = urlsplit(answer["Location"])
        query = {key: values[0] for key, values in parse_qs(login.query).items()}
        assert login.path == "/auth/login/", page
        assert query["max_age"] == "300" and query["tenant_name"] == "acme", page
        assert query["return_url"].endswith(page), page


# --- login failures ------------------------------------------------------------------------------


def failed_login(client: Client, fake: FakeWristband, query: str, error: str) -> HttpResponse:
    """A login whose callback carries ``error`` from Wristband; the callback's answer."""
    callback = urlsplit(fake.authorize(start_login(client, query)["Location"], error=error))
    answer: HttpResponse = client.get(f"{callback.path}?{callback.query}")
    return answer


def test_the_login_failed_receiver_warns_except_for_a_silent_login(
    wristband: FakeWristband,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="myproject.auth")

    def warnings() -> list[tuple[int, str]]:
        return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "myproject.auth"]

    with project_files(tmp_path, monkeypatch, signals=code("apis:login-failed-signal")):
        from myproject import signals  # type: ignore[import-not-found]

        try:
            failed_login(Client(), wristband, "tenant_name=acme&prompt=none", "login_required")
            assert warnings() == []
            failed_login(Client(), wristband, "tenant_name=acme", "access_denied")
        finally:
            login_failed.disconnect(signals.on_login_failed, sender=WristbandSession)
    assert warnings() == [(logging.WARNING, "Login failed: authorization_error (access_denied)")]


def test_the_callback_hook_sends_a_refused_user_to_no_access(
    wristband: FakeWristband, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with project_files(tmp_path, monkeypatch, views=code("apis:login-failed-hook")):
        from myproject.views import Callback  # type: ignore[import-not-found]

        mount(settings, monkeypatch, path("auth/callback/", Callback.as_view()))
        denied = failed_login(Client(), wristband, "tenant_name=acme", "access_denied")
        assert (denied.status_code, denied["Location"]) == (302, "/no-access/")
        other = failed_login(Client(), wristband, "tenant_name=acme", "invalid_scope")
        assert other.status_code == 400  # the answer the hook kept
        completed = log_in(Client(), wristband, "member@acme.test")
        assert completed.status_code == 302 and completed["Location"] == "/"
