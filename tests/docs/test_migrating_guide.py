"""docs/migrating.md stays true: its table of the official package's settings is
``conf.official_names``' (row for row), every name of ours it cites exists, and its code
blocks, run as written, do what the page says: the "before" settings are flagged (W010),
the "after" ones pass the checks, the views answer as the page claims, the adapter maps
roles, and an official package's session reads as logged out.

What the page leaves to a reader (the rest of settings.py, routes for the example views) is
added here, marked "not the docs'".
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.template import RequestContext, Template
from django.test import Client, RequestFactory
from django.test.utils import override_settings
from django.urls import path, reverse

from tests.docs.docs_blocks import code
from wristband_django import checks as wristband_checks
from wristband_django import views
from wristband_django.conf import parse_auth_config
from wristband_django.conf.official_names import OFFICIAL_NAMES
from wristband_django.testing import FakeUser, FakeWristband, log_in

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "migrating.md").read_text(encoding="utf-8")
WRISTBAND_MIDDLEWARE = "wristband_django.middleware.WristbandAuthMiddleware"


def settings_table() -> dict[str, str]:
    """Return the "Every official setting" table: official name -> what replaces it here."""
    section = GUIDE.split("### Every official setting\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| (.*) \|$", section, flags=re.M)
    return dict(rows)


def run_settings(source: str, **namespace: Any) -> dict[str, Any]:
    """Run a settings block as settings.py would, and return the settings it leaves."""
    exec(source, namespace)  # noqa: S102 (the page's own code)
    return {name: value for name, value in namespace.items() if name.isupper()}


def as_module(name: str, source: str) -> ModuleType:
    """Run ``source`` as the module ``name`` (registered in ``sys.modules``)."""
    module = ModuleType(name)
    sys.modules[name] = module
    exec(source, module.__dict__)  # noqa: S102 (the page's own code)
    return module


def test_the_guide_is_in_the_site_after_the_apis_page() -> None:
    mkdocs = (ROOT / "mkdocs.yml").read_text()
    nav = re.findall(r"^  - [^:]+: (\S+)$", mkdocs.split("\nnav:\n", 1)[1], re.MULTILINE)
    assert "migrating.md" in nav
    assert nav.index("apis.md") < nav.index("migrating.md") < nav.index("front-ends.md")


def test_the_settings_table_is_the_codes_row_for_row() -> None:
    table = settings_table()
    assert set(table) == {entry.official for entry in OFFICIAL_NAMES}
    for entry in OFFICIAL_NAMES:
        here = table[entry.official]
        if entry.key is None:
            assert here.startswith("no equivalent setting"), entry.official
        else:
            assert f'`WRISTBAND_AUTH["{entry.key}"]`' in here, entry.official


def resolve(dotted: str) -> object:
    """Return the object at ``dotted``: a module, or an attribute of one, at any depth."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for attribute in parts[end:]:
            found = getattr(found, attribute)
        return found
    raise ImportError(dotted)


def test_every_name_of_ours_the_guide_cites_exists() -> None:
    dotted = set(re.findall(r"[`\"](wristband_django(?:\.\w+)+)", GUIDE))
    dotted = {name for name in dotted if not re.search(r"\.[EW]\d{3}$", name)}  # check ids
    assert len(dotted) > 10
    for name in dotted:
        resolve(name)
    hooks = re.findall(r"`(LoginView|CallbackView|LogoutView|SessionView)\.([a-z_]+)", GUIDE)
    assert len(hooks) >= 6
    for view, attribute in hooks:
        assert hasattr(getattr(views, view), attribute), f"{view}.{attribute}"
    for url_name in set(re.findall(r"`wristband:([a-z]+)`", GUIDE)):
        reverse(f"wristband:{url_name}")


def test_the_before_settings_carry_their_dict_over_and_the_check_names_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WRISTBAND_CLIENT_ID", "client")
    monkeypatch.setenv("WRISTBAND_CLIENT_SECRET", "secret-" * 6)
    monkeypatch.setenv("WRISTBAND_SESSION_SECRET", "session-secret-" * 3)
    before = run_settings(code("migrating:settings-before"))
    parse_auth_config(before["WRISTBAND_AUTH"])  # the official dict is valid here as it is
    with override_settings(**before):
        messages = checks.run_checks(tags=[wristband_checks.TAG])
    leftovers = " ".join(m.msg for m in messages if m.id == "wristband_django.W010")
    for name in (
        "WRISTBAND_SESSION_SECRET",
        "WRISTBAND_AUTH_BACKEND_ADAPTER",
        "SESSION_ENGINE",
        "AUTHENTICATION_BACKENDS",
    ):
        assert name in leftovers


def test_the_after_settings_pass_every_check(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRISTBAND_CLIENT_ID", "client")
    monkeypatch.setenv("WRISTBAND_CLIENT_SECRET", "secret-" * 6)
    installed = [app for app in settings.INSTALLED_APPS if app != "wristband_django"]
    middleware = [m for m in settings.MIDDLEWARE if m != WRISTBAND_MIDDLEWARE]
    # Not the docs': the settings.py the page's `+=` lines extend.
    after = run_settings(
        code("migrating:settings-after"), INSTALLED_APPS=installed, MIDDLEWARE=middleware
    )
    assert "wristband_django" in after.pop("INSTALLED_APPS")  # the test project has it
    assert after["MIDDLEWARE"][-1] == WRISTBAND_MIDDLEWARE
    with override_settings(**after):
        assert checks.run_checks(tags=[wristband_checks.TAG]) == []


@pytest.fixture
def guide_project(settings: Any) -> Iterator[None]:
    """The page's URLconf, views and adapter as modules of a project."""
    urls = as_module("migrating_guide_urls", code("migrating:urls"))
    page_code = code("migrating:views") + code("migrating:session-data")
    page_views = as_module("migrating_guide_views", page_code)
    sys.modules["your_app"] = ModuleType("your_app")
    as_module("your_app.adapters", code("migrating:adapter"))
    urls.urlpatterns += [  # not the docs': routes for the page's example views
        path("dashboard/", page_views.dashboard),
        path("orders/", page_views.create_order),
        path("profile/", page_views.ProfileView.as_view()),
        path("api/", page_views.ProtectedAPIView.as_view()),
        path("whoami/", page_views.whoami),
    ]
    settings.ROOT_URLCONF = "migrating_guide_urls"
    yield
    for name in ("migrating_guide_urls", "migrating_guide_views", "your_app.adapters", "your_app"):
        sys.modules.pop(name, None)


DJANGO_USERS = pytest.mark.wristband_settings(
    authenticate_django_user=True, user_adapter="your_app.adapters.RolesAdapter"
)


@DJANGO_USERS
def test_the_views_answer_a_visitor_as_the_page_says(
    guide_project: None, client: Client, wristband_settings: Any
) -> None:
    for page in ("/dashboard/", "/profile/"):  # redirect_to_login: was REDIRECT
        answer = client.get(page)
        assert answer.status_code == 302
        assert "/auth/login/" in answer["Location"]
    for api in ("/orders/", "/whoami/"):  # the default: was JSON
        assert client.get(api).status_code == 401
    assert client.get("/api/").status_code == 401


@DJANGO_USERS
def test_the_views_serve_a_logged_in_user_and_a_bearer_token(
    guide_project: None, client: Client, fake_wristband: FakeWristband, wristband_settings: Any
) -> None:
    log_in(client, fake_wristband, "admin@acme.test")
    assert client.get("/dashboard/").json() == {"email": "admin@acme.test"}
    assert client.get("/whoami/").json() == {
        "user_id": "usr_acme_admin",
        "tenant_name": "acme",
        "identity_provider_name": "wristband",  # the fake's
    }
    assert client.get("/api/").json() == {"user": "usr_acme_admin"}
    token = client.get("/auth/token/").json()["accessToken"]
    bearer = Client().get("/orders/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bearer.json() == {"user": "usr_acme_admin"}


@DJANGO_USERS
def test_the_adapter_maps_owners_and_viewers(
    guide_project: None, client: Client, fake_wristband: FakeWristband, wristband_settings: Any
) -> None:
    owner_role = {"id": "rol_owner", "name": "app:yourapp:owner", "display_name": "Owner"}
    fake_wristband.add_user(
        FakeUser(sub="usr_acme_owner", tenant="acme", email="owner@acme.test", roles=(owner_role,))
    )
    log_in(client, fake_wristband, "owner@acme.test")
    log_in(Client(), fake_wristband, "member@acme.test")
    users = get_user_model().objects
    owner, member = users.get(username="usr_acme_owner"), users.get(username="usr_acme_member")
    assert owner.is_staff and owner.is_superuser
    assert [g.name for g in owner.groups.all()] == ["Owners"]
    assert not member.is_staff and [g.name for g in member.groups.all()] == ["Viewers"]


def test_the_logout_form_logs_out(
    guide_project: None, client: Client, fake_wristband: FakeWristband, wristband_settings: Any
) -> None:
    log_in(client, fake_wristband)
    html = Template(code("migrating:logout-form")).render(RequestContext(RequestFactory().get("/")))
    action = re.search(r'action="([^"]+)"', html)
    assert action and 'name="csrfmiddlewaretoken"' in html
    assert action.group(1) == reverse("wristband:logout")
    answer = client.post(action.group(1))
    assert answer.status_code == 302 and "/api/v1/logout" in answer["Location"]
    assert client.get("/whoami/").status_code == 401


OFFICIAL_SESSION = {  # what wristband-django-auth's session_from_callback() stores
    "is_authenticated": True,
    "access_token": "eyJ.old.token",
    "refresh_token": "old-refresh-token",
    "expires_at": 4_102_444_800_000,
    "user_id": "usr_acme_admin",
    "tenant_id": "ten_acme",
    "tenant_name": "acme",
    "identity_provider_name": "Wristband",
}


def test_an_official_session_reads_as_logged_out(
    guide_project: None, client: Client, wristband_settings: Any
) -> None:
    session = client.session
    session.update(OFFICIAL_SESSION)
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    assert client.get("/whoami/").status_code == 401
    assert "/auth/login/" in client.get("/dashboard/")["Location"]
    assert client.get("/auth/session/").status_code == 401


def test_an_encrypted_cookie_session_reads_as_logged_out(
    guide_project: None, client: Client, wristband_settings: Any
) -> None:
    fernet_data = "gAAAAAB" + "x" * 600  # what the official engine's cookie holds
    client.cookies[django_settings.SESSION_COOKIE_NAME] = fernet_data
    assert client.get("/whoami/").status_code == 401
    assert client.get("/dashboard/").status_code == 302


def test_without_a_new_cookie_name_the_old_sessions_keys_outlive_the_login(
    guide_project: None, client: Client, fake_wristband: FakeWristband, wristband_settings: Any
) -> None:
    """Why the page renames the session cookie: a login keeps the session's data."""
    session = client.session
    session.update(OFFICIAL_SESSION)
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    log_in(client, fake_wristband, "admin@acme.test")
    assert client.get("/whoami/").status_code == 200
    assert client.session["refresh_token"] == "old-refresh-token"


def test_a_login_in_flight_at_the_switch_restarts(
    guide_project: None, client: Client, wristband_settings: Any
) -> None:
    client.cookies["login#old-state#1700000000000"] = "the-official-packages-login-state"
    answer = client.get("/auth/callback/?code=abc&state=old-state&tenant_name=acme")
    assert answer.status_code == 302  # a new login, not an error page


def test_login_completed_keeps_what_custom_fields_stored(
    guide_project: None, client: Client, fake_wristband: FakeWristband, wristband_settings: Any
) -> None:
    """The calls table: ``CallbackView.login_completed()`` replaces ``custom_fields``."""

    class Callback(views.CallbackView):
        def login_completed(self, wristband_session: Any, custom_state: Any) -> None:
            self.request.session["preferences"] = {"theme": "dark"}

    urls = sys.modules["migrating_guide_urls"]
    urls.urlpatterns.insert(0, path("auth/callback/", Callback.as_view()))
    log_in(client, fake_wristband)
    assert client.session["preferences"] == {"theme": "dark"}
    assert client.get("/whoami/").status_code == 200
