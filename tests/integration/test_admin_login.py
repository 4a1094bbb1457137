"""The Django admin behind Wristband (issue 24, point 5), in the project docs/django-auth.md's
"The admin behind Wristband" builds from its blocks as written: ``AdminLoginView`` and the
Logout endpoint at the admin's paths, staff and superusers from Wristband roles.

The test client follows every redirect, through the fake Wristband's tenant discovery and
login pages (tests/support/admin_login_site.py). The fake's users: ``admin@acme.test``
(role ``app:admin``, the page's superuser role), ``support@acme.test`` (``app:support``, its
staff role) and ``member@acme.test`` (``app:member``, neither).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django
import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import translation

from tests.support.admin_login_site import SUPPORT, admin_recipe
from tests.support.auth_helpers import log_in
from tests.support.login_browsing import browse
from wristband_django.testing import FakeUser, FakeWristband
from wristband_django.testing.browser_protocol import AUTHORIZE_PATH
from wristband_django.types import Claims, WristbandSession
from wristband_django.user_adapter import UserAdapter

User = get_user_model()
ADMIN, MEMBER = "admin@acme.test", "member@acme.test"
#: The hops of a login that starts at the admin's index, through tenant discovery.
THROUGH_WRISTBAND = [
    "/admin/login/", "/auth/login/", "/login", "/auth/login/", AUTHORIZE_PATH, "/auth/callback/",
]  # fmt: skip


@pytest.fixture
def site(
    wristband: FakeWristband, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[FakeWristband]:
    """The page's project, with the support user added to the fake."""
    wristband.add_user(SUPPORT)
    with admin_recipe(tmp_path, monkeypatch, settings):
        yield wristband


def user(email: str) -> Any:
    return User.objects.get(email=email)


# --- logging in to the admin -----------------------------------------------------------------


def test_an_anonymous_visit_logs_in_through_wristband_and_lands_on_the_admin(
    site: FakeWristband,
) -> None:
    app = Client()
    first = app.get("/admin/")
    assert first.status_code == 302 and first["Location"] == "/admin/login/?next=/admin/"
    login = app.get(first["Location"])
    assert login.status_code == 302 and login["Location"] == "/auth/login/?next=/admin/"
    response, hops = browse(app, site, "/admin/", ADMIN)
    assert hops == ["/admin/", *THROUGH_WRISTBAND, "/admin/"]
    assert response.status_code == 200 and b"Site administration" in response.content
    assert user(ADMIN).is_staff and user(ADMIN).is_superuser  # app:admin, the superuser role


def test_the_login_lands_on_the_admin_page_asked_for(site: FakeWristband) -> None:
    page = "/admin/wristband_django/loginsession/"
    response, hops = browse(Client(), site, page, ADMIN)
    assert hops == [page, *THROUGH_WRISTBAND, page]
    assert response.status_code == 200 and b"Wristband login sessions" in response.content


def test_the_staff_role_makes_staff_and_not_a_superuser(site: FakeWristband) -> None:
    response, _ = browse(Client(), site, "/admin/", SUPPORT.email)
    assert response.status_code == 200 and b"Site administration" in response.content
    assert user(SUPPORT.email).is_staff and not user(SUPPORT.email).is_superuser


def test_a_user_who_is_not_staff_gets_a_page_that_says_why(site: FakeWristband) -> None:
    app = Client()
    response, hops = browse(app, site, "/admin/", MEMBER)
    assert hops == ["/admin/", *THROUGH_WRISTBAND, "/admin/", "/admin/login/"]
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>No access to the admin</h1>" in page
    assert f"You are signed in as <strong>{MEMBER}</strong>, and this account has no" in page
    assert re.search(r'<form method="post" action="/auth/logout/">\s*<input type="hidden" '
                     r'name="csrfmiddlewaretoken"', page)  # fmt: skip
    assert '<a href="/">Back to the site</a>' in page
    assert not user(MEMBER).is_staff
    assert app.get("/auth/session/").status_code == 200  # still logged in to the site


def test_the_refusal_page_is_translated(site: FakeWristband, settings: Any) -> None:
    app = Client()
    log_in(app, site, user=MEMBER)
    settings.LANGUAGE_CODE = "de"
    try:
        page = app.get("/admin/login/").content.decode()
    finally:
        translation.deactivate()
    assert '<html lang="de">' in page and "<h1>Kein Zugang zur Verwaltung</h1>" in page
    assert f"Sie sind als <strong>{MEMBER}</strong> angemeldet" in page


def test_a_role_removed_at_wristband_takes_the_admin_away_at_the_next_login(
    site: FakeWristband,
) -> None:
    assert browse(Client(), site, "/admin/", ADMIN)[0].status_code == 200
    site.add_user(FakeUser(sub="usr_acme_admin", tenant="acme", email=ADMIN, name="Acme Admin"))
    response, _ = browse(Client(), site, "/admin/", ADMIN)  # the next login: no roles now
    assert response.status_code == 403 and b"No access to the admin" in response.content
    assert not user(ADMIN).is_staff and not user(ADMIN).is_superuser


@pytest.mark.parametrize("hostile", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_a_next_to_another_site_leads_to_the_admin_index(site: FakeWristband, hostile: str) -> None:
    anonymous = Client().get("/admin/login/", {"next": hostile})
    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/auth/login/?next=/admin/"
    app = Client()
    log_in(app, site, user=ADMIN)
    staff = app.get("/admin/login/", {"next": hostile})
    assert staff.status_code == 302 and staff["Location"] == "/admin/"


def test_a_staff_user_is_sent_on_to_next(site: FakeWristband) -> None:
    app = Client()
    log_in(app, site, user=ADMIN)
    response = app.get("/admin/login/", {"next": "/admin/auth/user/?o=1"})
    assert response.status_code == 302 and response["Location"] == "/admin/auth/user/?o=1"


def test_the_password_form_is_gone(site: FakeWristband) -> None:
    User.objects.create_superuser("root", "root@example.test", "pw")
    response = Client().post("/admin/login/", {"username": "root", "password": "pw"})
    assert response.status_code == 405


# --- logging out of the admin ----------------------------------------------------------------


def test_the_admins_logout_form_ends_the_session_at_wristband_too(site: FakeWristband) -> None:
    app = Client(enforce_csrf_checks=True)
    index, _ = browse(app, site, "/admin/", ADMIN)
    page = index.content.decode()
    assert re.search(r'<form id="logout-form" method="post" action="/admin/logout/">', page)
    (token,) = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert app.post("/admin/logout/").status_code == 403  # the CSRF check
    revoked = len([r for r in site.requests if r.endpoint == "revoke"])
    response = app.post("/admin/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/api/v1/logout"  # Wristband's logout
    assert len([r for r in site.requests if r.endpoint == "revoke"]) == revoked + 1
    assert app.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    assert app.get("/auth/session/").status_code == 401


# --- needs authenticate_django_user ----------------------------------------------------------


def messages_of(code: str) -> list[checks.CheckMessage]:
    messages = checks.run_checks(tags=["wristband"], include_deployment_checks=True)
    return [message for message in messages if message.id == f"wristband_django.{code}"]


def test_without_django_users_the_view_refuses_and_a_check_says_so(
    wristband: FakeWristband, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    assert messages_of("W011") == []  # the suite's URLconf: Django's own admin login
    with admin_recipe(tmp_path, monkeypatch, settings, django_users=False):
        [warning] = messages_of("W011")
        assert "(/admin/login/)" in warning.msg and "authenticate_django_user" in warning.hint
        with pytest.raises(ImproperlyConfigured, match="needs authenticate_django_user"):
            Client().get("/admin/login/?next=/admin/")
        settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "authenticate_django_user": True}
        assert messages_of("W011") == []


@pytest.mark.skipif(django.VERSION < (5, 1), reason="LoginRequiredMiddleware is Django 5.1's")
def test_login_required_middleware_lets_the_admin_login_through(
    site: FakeWristband, settings: Any
) -> None:
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE, "django.contrib.auth.middleware.LoginRequiredMiddleware"
    ]  # fmt: skip
    response, hops = browse(Client(), site, "/admin/", ADMIN)
    assert hops == ["/admin/", *THROUGH_WRISTBAND, "/admin/"] and response.status_code == 200


# --- the adapter's role flags ----------------------------------------------------------------


def session_with_roles(*roles: str) -> WristbandSession:
    userinfo = Claims({"roles": [{"id": f"rol_{r}", "name": r} for r in roles]})
    return WristbandSession(access_token="t", expires_at=0, user_id="u", tenant_id="t",
                            userinfo=userinfo)  # fmt: skip


class StaffOnly(UserAdapter):
    staff_roles = "app:support"  # a lone string: one role, not its letters


class SuperuserOnly(UserAdapter):
    superuser_roles = ("app:admin",)


@pytest.mark.parametrize(
    ("adapter", "roles", "before", "after"),
    [
        (UserAdapter, ("app:admin",), (True, True), (True, True)),  # no roles set: left alone
        (UserAdapter, (), (True, False), (True, False)),
        (StaffOnly, ("app:support",), (False, True), (True, True)),  # superuser left alone
        (StaffOnly, ("app:admin",), (True, False), (False, False)),
        (StaffOnly, ("a",), (True, False), (False, False)),  # a letter of the string
        (SuperuserOnly, ("app:admin",), (False, False), (True, True)),  # implies staff
        (SuperuserOnly, ("app:support",), (True, True), (False, False)),
    ],
)
def test_the_flags_follow_the_roles_that_are_set(
    adapter: type[UserAdapter],
    roles: tuple[str, ...],
    before: tuple[bool, bool],
    after: tuple[bool, bool],
) -> None:
    """(is_staff, is_superuser) before and after a login with ``roles``."""
    django_user = User(username="u", is_staff=before[0], is_superuser=before[1])
    adapter().update_user(django_user, session_with_roles(*roles))
    assert (django_user.is_staff, django_user.is_superuser) == after
