"""Django's ``login_required``, ``LOGIN_URL``, ``next`` and ``LoginRequiredMiddleware``
(issue 24, points 3 and 4), in the project docs/django-auth.md builds.

Its code blocks are taken verbatim from the page: the settings blocks run on the suite's
settings, the views and urls blocks become the files of a package the URLconf is. A browser
then follows every redirect itself, hop by hop: this app through Django's test client, the
fake Wristband through a ``FakeBrowser`` (its tenant discovery page, then its login page).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django
import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver

import wristband_django.urls
from tests.docs import docs_blocks
from tests.support import login_browsing
from wristband_django.testing import FakeWristband
from wristband_django.testing.browser_protocol import AUTHORIZE_PATH
from wristband_django.views import LoginView, SessionView

ROOT = Path(__file__).resolve().parents[2]
#: The package the page's views and urls blocks are written into.
PROJECT = "django_auth_docs_project"
USER = "member@acme.test"
MIDDLEWARE_5_1 = pytest.mark.skipif(
    django.VERSION < (5, 1), reason="LoginRequiredMiddleware is Django 5.1's"
)


def doc_blocks() -> dict[str, str]:
    """The page's python blocks by marker (``<!-- django-auth:NAME -->`` right above each)."""
    return {
        "settings": docs_blocks.code("django-auth:settings"),
        "views": docs_blocks.code("django-auth:views"),
        "urls": docs_blocks.code("django-auth:urls"),
        "middleware": docs_blocks.code("django-auth:middleware"),
    }


def run_settings_block(block: str, settings: Any) -> None:
    """Run a settings block, as written, on the current settings, and apply what it sets."""
    names = ("INSTALLED_APPS", "MIDDLEWARE", "WRISTBAND_AUTH", "AUTHENTICATION_BACKENDS")
    namespace = {name: copy.deepcopy(getattr(settings, name)) for name in names}
    exec(block, namespace)  # noqa: S102 (the documentation's own block)
    for name, value in namespace.items():
        if name.isupper():
            setattr(settings, name, value)


@pytest.fixture
def project(
    tmp_path: Path, settings: Any, wristband: FakeWristband, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeWristband]:
    """The suite's project with the page's settings, views and urls blocks, as written."""
    blocks = doc_blocks()
    package = tmp_path / PROJECT
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text(blocks["views"])
    (package / "urls.py").write_text(blocks["urls"])
    monkeypatch.syspath_prepend(str(tmp_path))
    run_settings_block(blocks["settings"], settings)
    settings.ROOT_URLCONF = f"{PROJECT}.urls"
    yield wristband
    for name in [name for name in sys.modules if name.split(".")[0] == PROJECT]:
        del sys.modules[name]


@pytest.fixture
def middleware_on(project: FakeWristband, settings: Any) -> FakeWristband:
    """The project with the page's ``LoginRequiredMiddleware`` block too."""
    run_settings_block(doc_blocks()["middleware"], settings)
    return project


def browse(app: Client, fake: FakeWristband, url: str) -> tuple[HttpResponse, list[str]]:
    """Open ``url`` as ``USER`` and follow every redirect (``login_browsing.browse``)."""
    return login_browsing.browse(app, fake, url, USER)


def logged_in_at_me(response: HttpResponse, hops: list[str]) -> None:
    assert response.status_code == 200
    assert response.content.decode() == f"Hello, {USER}"
    assert hops == [
        "/me/", "/auth/login/", "/login", "/auth/login/", AUTHORIZE_PATH, "/auth/callback/",
        "/me/",
    ]  # fmt: skip
    assert get_user_model().objects.get().username == "usr_acme_member"


def test_login_required_sends_the_user_to_wristband_and_back(project: FakeWristband) -> None:
    app = Client()
    first = app.get("/me/")
    assert first.status_code == 302 and first["Location"] == "/auth/login/?next=/me/"
    logged_in_at_me(*browse(app, project, "/me/"))
    assert app.get("/me/").status_code == 200  # and stays logged in


@pytest.mark.parametrize("hostile", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_a_next_to_another_site_lands_on_this_one(project: FakeWristband, hostile: str) -> None:
    app = Client()
    response, hops = browse(app, project, f"/auth/login/?next={hostile}")
    assert hops[-2:] == ["/auth/callback/", "/"] and response.status_code == 404  # no "/" here
    assert app.get("/me/").status_code == 200  # logged in all the same


@MIDDLEWARE_5_1
def test_login_required_middleware_lets_the_login_through_without_a_loop(
    middleware_on: FakeWristband,
) -> None:
    app = Client()
    first = app.get("/me/")
    assert first.status_code == 302 and first["Location"] == "/auth/login/?next=/me/"
    logged_in_at_me(*browse(app, middleware_on, "/me/"))


@MIDDLEWARE_5_1
def test_under_the_middleware_the_session_endpoint_answers_its_own_401(
    middleware_on: FakeWristband,
) -> None:
    for path in ("/auth/session/", "/auth/token/"):
        response = Client().get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthorized"


@MIDDLEWARE_5_1
def test_under_the_middleware_a_logged_out_user_can_log_out(middleware_on: FakeWristband) -> None:
    response = Client().post("/auth/logout/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).port == middleware_on.port  # Wristband's, not a login


def mounted_views(patterns: list[Any]) -> list[Any]:
    views: list[Any] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            views += mounted_views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            views.append(pattern.callback)
    return views


def test_everything_our_urlconf_mounts_is_exempt_from_login_required_middleware() -> None:
    views = mounted_views(wristband_django.urls.urlpatterns)
    assert len(views) == 6  # the five endpoints and the popup login's last page
    assert [view.__name__ for view in views if getattr(view, "login_required", True)] == []


class TenantLogin(LoginView):
    default_tenant_name = "acme"


class CoveredSession(SessionView):
    login_required = True


def test_subclasses_stay_exempt_unless_they_opt_in() -> None:
    assert TenantLogin.as_view().login_required is False  # type: ignore[attr-defined]
    assert CoveredSession.as_view().login_required is True  # type: ignore[attr-defined]
    assert SessionView.as_view(login_required=True).login_required is True  # type: ignore[attr-defined]


# --- the W008 and W009 checks -------------------------------------------------------------


def messages_of(code: str) -> list[checks.CheckMessage]:
    """The messages of this app's check ``code`` (``W008``) for the settings as they are."""
    messages = checks.run_checks(tags=["wristband"], include_deployment_checks=True)
    return [message for message in messages if message.id == f"wristband_django.{code}"]


def test_the_page_configures_a_project_the_checks_accept(
    project: FakeWristband, settings: Any
) -> None:
    assert settings.LOGIN_URL == "wristband:login"
    assert messages_of("W008") == []  # tests/conf/test_checks.py has the check's own tests


@MIDDLEWARE_5_1
def test_the_middleware_without_django_users_loops_and_a_check_says_so(
    middleware_on: FakeWristband, settings: Any
) -> None:
    """Without ``authenticate_django_user`` no login makes ``request.user`` authenticated."""
    assert messages_of("W009") == []
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "authenticate_django_user": False}
    [warning] = messages_of("W009")
    assert "authenticate_django_user" in warning.hint
    with pytest.raises(AssertionError, match="a login loop"):
        browse(Client(), middleware_on, "/me/")
