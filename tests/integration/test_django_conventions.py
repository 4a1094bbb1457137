"""Django's own conventions: checks wired in ``ready()``, a self-protecting LogoutView,
``AccessMixin``-style hooks, login URLs without the ``wristband`` namespace, one signal
sender, typed and read-only session data."""

from __future__ import annotations

import ast
import copy
import importlib
import pickle
import sys
import typing
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, RequestFactory

import wristband_django
from wristband_django import signals
from wristband_django.store import session_entry
from wristband_django.store.access import session_store
from wristband_django.testing import FakeWristband
from wristband_django.types import WristbandRequest, WristbandSession, WristbandUser, role_names
from wristband_django.user_adapter import UserAdapter

CUSTOM_URLS = "tests.integration.urls_custom_names"
pytestmark = pytest.mark.fake_wristband(
    login_url="http://testserver/sign-in/", redirect_uri="http://testserver/sign-in/done/"
)
CSRF = "django.middleware.csrf.CsrfViewMiddleware"
CHECKS_MODULE = "wristband_django.checks"


class MyCsrfMiddleware(CsrfViewMiddleware):
    pass


def wristband_checks() -> list[Any]:
    return [
        check
        for check in checks.registry.registry.get_checks(include_deployment_checks=True)
        if check.__module__.startswith(CHECKS_MODULE)
    ]


def check_ids() -> list[str]:
    messages = checks.run_checks(tags=["wristband"], include_deployment_checks=True)
    return sorted(str(message.id) for message in messages)


# --- system checks: registered in ready(), not on import ----------------------------------


def test_ready_registers_each_check_once_with_its_tags() -> None:
    registered = {check.__name__: check for check in wristband_checks()}
    assert len(registered) == len(wristband_checks()) == 10
    assert all("wristband" in check.tags for check in registered.values())
    deploy_only = checks.registry.registry.deployment_checks
    ours = [check for check in deploy_only if check.__module__.startswith(CHECKS_MODULE)]
    assert {check.__name__ for check in ours} == {"check_shared_caches", "check_http_login_urls"}
    apps.get_app_config("wristband_django").ready()  # a second ready() adds nothing
    assert len(wristband_checks()) == 10


def test_importing_the_checks_module_registers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    before = checks.registry.registry.get_checks(include_deployment_checks=True)
    monkeypatch.setattr(wristband_django, "checks", sys.modules[CHECKS_MODULE])  # restored after
    for _ in range(2):  # two fresh imports of the package and its modules
        for name in [name for name in sys.modules if name.startswith(CHECKS_MODULE)]:
            monkeypatch.delitem(sys.modules, name)
        fresh = importlib.import_module(CHECKS_MODULE)
    after = checks.registry.registry.get_checks(include_deployment_checks=True)
    assert sorted(map(id, after)) == sorted(map(id, before))
    assert fresh.check_settings not in after  # the fresh module's functions stay unregistered


def test_manage_py_check_still_reports_the_wristband_checks(settings: Any) -> None:
    call_command("check")  # the test settings are healthy
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "dangerously_allow_http_idp": True}
    with pytest.raises(SystemCheckError, match=r"wristband_django\.E006"):
        call_command("check", "--tag", "wristband")
    with pytest.raises(SystemCheckError, match=r"wristband_django\.W003"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "wristband")


def test_post_only_logout_without_the_csrf_middleware_is_an_error(settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != CSRF]
    assert "wristband_django.E011" in check_ids()
    [message] = [m for m in checks.run_checks(tags=["wristband"]) if m.id.endswith("E011")]
    assert isinstance(message, checks.Error) and "csrftoken cookie" in str(message.hint)
    with pytest.raises(SystemCheckError, match=r"wristband_django\.E011"):
        call_command("check")


def test_e011_is_quiet_with_the_middleware_a_subclass_or_get_logout(settings: Any) -> None:
    assert "wristband_django.E011" not in check_ids()
    settings.MIDDLEWARE = [
        f"{__name__}.MyCsrfMiddleware" if m == CSRF else m for m in settings.MIDDLEWARE
    ]
    assert "wristband_django.E011" not in check_ids()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "Csrf" not in m]
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "allow_logout_get": True}
    assert "wristband_django.E011" not in check_ids()


# --- a project with its own URL names -------------------------------------------------------


@pytest.fixture
def fake(wristband: FakeWristband, settings: Any) -> FakeWristband:
    """The fake Wristband (auto-configuring the custom URLconf's login and callback URLs, see
    ``pytestmark``), in a project whose URLconf names the views its own way."""
    settings.ROOT_URLCONF = CUSTOM_URLS
    return wristband


def log_in(
    client: Client, fake: FakeWristband, login_url: str = "/sign-in/?tenant_name=acme"
) -> HttpResponse:
    """A full login through the custom URLconf; returns the callback's response."""
    started = client.get(login_url)
    assert started.status_code == 302, started.content
    callback = urlsplit(fake.authorize(started["Location"]))
    return client.get(f"{callback.path}?{callback.query}")


@pytest.mark.parametrize("path", ["/api/", "/me/", "/mixin-api/"])
def test_a_401_carries_a_login_url_that_works(
    client: Client, fake: FakeWristband, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "loginUrl": "http://testserver/sign-in/"}
    started = client.get(urlsplit(response.json()["loginUrl"]).path + "?tenant_name=acme")
    assert started.status_code == 302 and "/api/v1/oauth2/authorize?" in started["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/page/", "/page-with-login-url/", "/mixin-page/", "/async-mixin-page/"]
)
def test_the_redirect_to_login_comes_back_to_the_page(
    client: Client, fake: FakeWristband, path: str
) -> None:
    response = client.get(f"{path}?x=1")
    assert response.status_code == 302
    login = urlsplit(response["Location"])  # on this site: a path, as before
    assert (login.scheme, login.netloc, login.path) == ("", "", "/sign-in/")
    assert login.query == urlencode({"return_url": f"{path}?x=1"})
    landed = log_in(client, fake, f"{login.path}?{login.query}&tenant_name=acme")
    assert landed.status_code == 302 and landed["Location"] == f"{path}?x=1"
    assert client.get(landed["Location"]).content == b"page"


def test_handle_no_permission_can_be_overridden(fake: FakeWristband) -> None:
    from tests.integration import urls_custom_names
    from wristband_django.mixins import WristbandRequiredMixin

    class Refusing(urls_custom_names.MixinApi):
        def handle_no_permission(self) -> HttpResponse:
            return HttpResponse(f"go to {self.get_login_url()}", status=403)

    assert issubclass(Refusing, WristbandRequiredMixin)
    request = RequestFactory().get("/mixin-api/")
    request.session = session_store()
    response = Refusing.as_view()(request)
    assert response.status_code == 403
    assert response.content == b"go to http://testserver/sign-in/"


def test_without_auto_configuration_the_login_url_falls_back_without_a_500(
    client: Client, fake: FakeWristband
) -> None:
    """Wristband unreachable before auto-configuration ever succeeded, and no
    ``wristband:login`` to reverse: ``/``, never a 500."""
    fake.inject("sdk_configuration", status=500, times=None)
    response = client.get("/api/")
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "loginUrl": "http://testserver/"}
    page = client.get("/page/")
    assert page.status_code == 302 and page["Location"] == "/?return_url=%2Fpage%2F"


def test_with_the_namespace_the_fallback_is_the_included_login_view(settings: Any) -> None:
    """Wristband unreachable (nothing listens on port 9) and no manual ``login_url``."""
    without_login_url = {k: v for k, v in settings.WRISTBAND_AUTH.items() if k != "login_url"}
    settings.WRISTBAND_AUTH = {
        **without_login_url,
        "wristband_application_vanity_domain": "127.0.0.1:9",
        "dangerously_allow_http_idp": True,
        "connect_timeout": 0.5,
    }
    response = Client().get("/auth/session/")
    assert response.status_code == 401
    assert response.json()["loginUrl"] == "http://testserver/auth/login/"


def test_a_tenant_placeholder_is_filled_from_the_host(settings: Any) -> None:
    settings.ROOT_URLCONF = CUSTOM_URLS
    settings.WRISTBAND_AUTH = {
        **settings.WRISTBAND_AUTH,
        "login_url": "https://{tenant_name}.app.test/sign-in/",
        "redirect_uri": "https://{tenant_name}.app.test/sign-in/done/",
        "parse_tenant_from_root_domain": "app.test",
    }
    tenant = Client(HTTP_HOST="acme.app.test").get("/api/", secure=True)
    assert tenant.json()["loginUrl"] == "https://acme.app.test/sign-in/"
    no_tenant = Client(HTTP_HOST="app.test").get("/api/", secure=True)
    assert no_tenant.status_code == 401 and no_tenant.json()["loginUrl"] == "https://app.test/"


def test_a_login_url_on_another_host_gets_an_absolute_return_url(settings: Any) -> None:
    settings.ROOT_URLCONF = CUSTOM_URLS
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "login_url": "https://app.test/sign-in/"}
    response = Client().get("/page/?x=1")
    return_url = urlencode({"return_url": "http://testserver/page/?x=1"})
    assert response["Location"] == f"https://app.test/sign-in/?{return_url}"
    assert Client().get("/api/").json()["loginUrl"] == "https://app.test/sign-in/"


# --- LogoutView protects itself ---------------------------------------------------------------


@pytest.mark.django_db
def test_logout_checks_csrf_without_the_middleware(fake: FakeWristband, settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != CSRF]
    client = Client(enforce_csrf_checks=True)
    log_in(client, fake)
    refused = client.post("/sign-out/")
    assert refused.status_code == 403 and "no-store" in refused["Cache-Control"]
    assert client.get("/me/").status_code == 200  # still logged in
    client.cookies["csrftoken"] = "a" * 32
    done = client.post("/sign-out/", HTTP_X_CSRFTOKEN="a" * 32)
    assert done.status_code == 302 and "no-store" in done["Cache-Control"]
    assert client.get("/me/").status_code == 401


# --- signals: one sender ----------------------------------------------------------------------


SIGNALS = ("login_completed", "tokens_refreshed", "refresh_failed", "logged_out")


@pytest.fixture
def senders() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []
    receivers = {}
    for name in (*SIGNALS, "session_ended_by_admin"):
        receivers[name] = lambda sender, name=name, **kwargs: seen.append((name, sender))
        getattr(signals, name).connect(receivers[name])
    yield seen
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def expire(client: Client) -> None:
    store = session_store(client.cookies[django_settings.SESSION_COOKIE_NAME].value)
    entry = session_entry.load(store)
    assert entry is not None
    session_entry.store(store, replace(entry, expires_at=session_entry.now_ms() - 1))
    store.save()


@pytest.mark.django_db
def test_every_signal_is_sent_by_wristband_session(
    client: Client, fake: FakeWristband, senders: list[tuple[str, Any]]
) -> None:
    from wristband_django.admin import end_login
    from wristband_django.models import LoginSession

    log_in(client, fake)
    expire(client)
    assert client.get("/me/").status_code == 200
    expire(client)
    fake.revoke_all()
    assert client.get("/me/").status_code == 401
    log_in(client, fake)
    client.post("/sign-out/")
    log_in(client, fake)
    latest = LoginSession.objects.order_by("-pk").first()
    assert latest is not None
    end_login(RequestFactory().post("/admin/"), latest)
    assert [name for name, _ in senders] == [
        "login_completed", "tokens_refreshed", "refresh_failed", "login_completed",
        "logged_out", "login_completed", "session_ended_by_admin",
    ]  # fmt: skip
    assert {sender for _, sender in senders} == {WristbandSession}


# --- types -------------------------------------------------------------------------------------


def entry(**userinfo: Any) -> WristbandSession:
    return WristbandSession(
        access_token="at", expires_at=1, user_id="u", tenant_id="t", userinfo=userinfo
    )


def test_userinfo_is_read_only_and_copied() -> None:
    claims = {"email": "a@b.test", "roles": [{"name": "app:admin"}]}
    session = entry(**claims)
    claims["email"] = "changed"
    assert session.userinfo["email"] == "a@b.test"
    with pytest.raises(TypeError):
        session.userinfo["email"] = "x"  # type: ignore[index]
    assert not isinstance(session.userinfo, dict) and dict(session.userinfo)["email"] == "a@b.test"


def test_userinfo_serialises_as_a_plain_dict() -> None:
    session = entry(email="a@b.test", roles=["x"])
    as_dict = asdict(session)
    assert type(as_dict["userinfo"]) is dict and as_dict["userinfo"]["roles"] == ["x"]
    store = session_store()
    session_entry.store(store, session)
    assert session_entry.load(store) == session
    assert pickle.loads(pickle.dumps(session)) == session  # noqa: S301
    copied = copy.deepcopy(session)
    assert copied == session and not isinstance(copied.userinfo, dict)


def test_one_role_parser() -> None:
    roles = [{"name": "app:admin"}, "app:viewer", {"id": "no-name"}, 5, ""]
    assert role_names(roles) == ("app:admin", "app:viewer")
    assert role_names("app:admin") == role_names(None) == ()
    session = entry(roles=roles)
    assert UserAdapter().roles(session) == list(WristbandUser.from_session(session).role_names)


def test_the_request_type_is_importable_with_the_session_type() -> None:
    assert WristbandSession is session_entry.WristbandSession
    hints = typing.get_type_hints(WristbandRequest)
    assert hints["wristband"] == typing.Optional[WristbandSession]  # noqa: UP045


def test_the_package_has_no_assert_for_control_flow() -> None:
    """``python -O`` strips asserts: the package's checks must hold without them."""
    package = Path(wristband_django.__file__).resolve().parent
    asserts = [
        f"{path.relative_to(package)}:{node.lineno}"
        for path in package.rglob("*.py")
        if "testing" not in path.relative_to(package).parts
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assert)
    ]
    assert asserts == []
