"""Admin-visible sessions, signals, and the optional request.user integration."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from tests.support.auth_helpers import admin_client, expire_access_token, log_in
from tests.support.leaks import tokens_of
from wristband_django import signals
from wristband_django.models import LoginSession
from wristband_django.store import session_entry
from wristband_django.store.access import session_store
from wristband_django.testing import FakeWristband
from wristband_django.types import WristbandSession
from wristband_django.user_adapter import UserAdapter

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"])


# --- admin-visible sessions ------------------------------------------------------------


def test_a_login_creates_a_row_without_any_token(client: Client, wristband: FakeWristband) -> None:
    log_in(client, wristband, user="admin@acme.test", HTTP_USER_AGENT="Firefox/130")
    (row,) = LoginSession.objects.all()
    assert (row.user_id, row.email, row.tenant_id, row.tenant_name, row.identity_provider) == (
        "usr_acme_admin", "admin@acme.test", "tnt_acme", "acme", "wristband",
    )  # fmt: skip
    assert row.ip_address == "127.0.0.1" and row.user_agent == "Firefox/130"
    assert row.created_at and row.access_token_expires_at and row.last_refreshed_at is None
    everything = " ".join(str(getattr(row, f.name)) for f in LoginSession._meta.fields)
    secrets = [*tokens_of(client, wristband), client.cookies[SESSION_COOKIE].value]
    assert not [s for s in secrets if s in everything]


@pytest.mark.parametrize("backend", ["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def test_rows_follow_refresh_logout_and_failure(
    wristband: FakeWristband, settings: Any, request: pytest.FixtureRequest, backend: str
) -> None:
    if backend == "redis":  # cache sessions: Django's own session table stays empty
        settings.CACHES = {"default": request.getfixturevalue("redis_cache")}
    client = Client()
    log_in(client, wristband)
    expire_access_token(client)
    assert client.get("/api/whoami/").status_code == 200
    (row,) = LoginSession.objects.all()
    assert row.last_refreshed_at is not None
    log_in(client, wristband)  # a new login in the same browser replaces the row
    assert (
        LoginSession.objects.count() == 1 and LoginSession.objects.get().last_refreshed_at is None
    )
    client.post("/auth/logout/")
    assert LoginSession.objects.count() == 0
    log_in(client, wristband)
    expire_access_token(client)
    wristband.revoke_all()
    assert client.get("/api/whoami/").status_code == 401
    assert LoginSession.objects.count() == 0
    from django.contrib.sessions.models import Session

    assert backend != "redis" or Session.objects.count() == 0


def test_admin_lists_filters_and_searches(wristband: FakeWristband) -> None:
    log_in(Client(), wristband, "tenant_name=acme", user="admin@acme.test")
    log_in(Client(), wristband, "tenant_name=globex", user="member@globex.test")
    admin = admin_client()
    page = admin.get("/admin/wristband_django/loginsession/").content.decode()
    assert "admin@acme.test" in page and "member@globex.test" in page
    globex = LoginSession.objects.get(tenant_name="globex").tenant_id
    filtered = admin.get(f"/admin/wristband_django/loginsession/?tenant={globex}").content.decode()
    assert "member@globex.test" in filtered and "admin@acme.test" not in filtered
    # A whole email, in any case (an index serves it at a million rows).
    found = admin.get("/admin/wristband_django/loginsession/?q=Admin%40Acme.test").content.decode()
    assert "admin@acme.test" in found and "member@globex.test" not in found
    row = LoginSession.objects.get(user_id="usr_acme_admin")
    detail = admin.get(f"/admin/wristband_django/loginsession/{row.pk}/change/").content.decode()
    assert "session_key" not in detail and "wbenc1" not in detail


def test_admin_end_session_revokes_and_logs_that_browser_out(wristband: FakeWristband) -> None:
    victim = Client()
    log_in(victim, wristband)
    refresh_token = session_entry.load(victim.session).refresh_token  # type: ignore[union-attr]
    ended: list[dict[str, Any]] = []
    receiver = lambda sender, **kwargs: ended.append(kwargs)  # noqa: E731
    signals.session_ended_by_admin.connect(receiver)
    try:
        row = LoginSession.objects.get()
        response = admin_client().post(
            "/admin/wristband_django/loginsession/",
            {"action": "end_sessions", "_selected_action": [row.pk]},
        )
    finally:
        signals.session_ended_by_admin.disconnect(receiver)
    assert response.status_code == 302
    assert victim.get("/api/whoami/").status_code == 401
    (revoke,) = wristband.calls("revoke")
    assert revoke.form["token"] == refresh_token
    assert LoginSession.objects.count() == 0
    assert ended and ended[0]["user_id"] == "usr_acme_admin"


def test_rows_of_ended_sessions_are_purged(wristband: FakeWristband) -> None:
    alive, gone = Client(), Client()
    log_in(alive, wristband)
    log_in(gone, wristband, user="member@acme.test")
    session_store().delete(gone.cookies[SESSION_COOKIE].value)  # expired, say
    assert LoginSession.objects.count() == 2
    call_command("wristband_purge_sessions", stdout=(out := __import__("io").StringIO()))
    assert "Purged 1 row" in out.getvalue()
    assert list(LoginSession.objects.values_list("user_id", flat=True)) == ["usr_acme_admin"]
    log_in(Client(), wristband, user="admin@globex.test", query="tenant_name=globex")
    session_store().delete(alive.cookies[SESSION_COOKIE].value)
    admin_client().post(
        "/admin/wristband_django/loginsession/",
        {"action": "purge_ended_sessions", "_selected_action": [LoginSession.objects.first().pk]},  # type: ignore[union-attr]
    )
    assert list(LoginSession.objects.values_list("user_id", flat=True)) == ["usr_globex_admin"]


def test_tracking_can_be_switched_off(
    client: Client, wristband: FakeWristband, settings: Any
) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(track_sessions=False)
    log_in(client, wristband)
    assert LoginSession.objects.count() == 0


# --- signals --------------------------------------------------------------------------------


@pytest.fixture
def received() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    names = ("login_completed", "tokens_refreshed", "refresh_failed", "logged_out")
    receivers = {}
    for name in names:
        receivers[name] = lambda sender, name=name, **kwargs: events.append((name, kwargs))
        getattr(signals, name).connect(receivers[name])
    yield events
    for name in names:
        getattr(signals, name).disconnect(receivers[name])


def test_signals_tell_each_step(
    client: Client, wristband: FakeWristband, received: list[tuple[str, dict[str, Any]]]
) -> None:
    log_in(client, wristband)
    expire_access_token(client)
    client.get("/api/whoami/")
    expire_access_token(client)
    wristband.revoke_all()
    client.get("/api/whoami/")
    log_in(client, wristband)
    client.post("/auth/logout/")
    assert [name for name, _ in received] == [
        "login_completed", "tokens_refreshed", "refresh_failed", "login_completed", "logged_out",
    ]  # fmt: skip
    login, refreshed = received[0][1], received[1][1]
    assert isinstance(login["wristband_session"], WristbandSession) and "request" in login
    assert "token" not in repr(login["wristband_session"]).lower() or (
        "access_token" not in repr(login)
    )
    # The 0.1.0 keyword, deprecated, still names the same session for a release.
    assert login["session"] is login["wristband_session"]
    assert refreshed["session"] is refreshed["wristband_session"]
    assert isinstance(refreshed["wristband_session"], WristbandSession)
    assert received[2][1]["error"].error == "invalid_grant"
    assert received[2][1]["user_id"] == received[4][1]["user_id"] == "usr_acme_admin"


# --- request.user -----------------------------------------------------------------------------


class StaffFromRoles(UserAdapter):
    """The README's example: Wristband roles become groups; app:admin is staff. Written with
    the parameter's 0.1.0 name, ``entry``: an override from then keeps working."""

    def update_user(self, user: Any, entry: WristbandSession) -> None:
        super().update_user(user, entry)
        roles = self.roles(entry)
        user.is_staff = user.is_superuser = "app:admin" in roles
        user.save()
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])


@pytest.fixture
def django_users(wristband: FakeWristband, settings: Any) -> FakeWristband:
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        protected_paths=["/api/"],
        authenticate_django_user=True,
        user_adapter="tests.integration.test_django_integration.StaffFromRoles",
        scopes=["openid", "offline_access", "email", "roles"],  # the adapter maps the roles
    )
    return wristband


def test_request_user_is_off_by_default(client: Client, wristband: FakeWristband) -> None:
    log_in(client, wristband)
    assert client.get("/django-user/")["Location"].startswith("/auth/login/")
    assert get_user_model().objects.count() == 0


def test_wristband_login_makes_a_django_user(client: Client, django_users: FakeWristband) -> None:
    log_in(client, django_users, user="member@acme.test")
    assert client.get("/django-user/").json() == {
        "username": "usr_acme_member", "email": "member@acme.test",
    }  # fmt: skip
    user = get_user_model().objects.get(username="usr_acme_member")
    assert [g.name for g in user.groups.all()] == ["app:member"] and not user.is_staff
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # not staff


def test_an_admin_role_logs_into_the_django_admin(
    client: Client, django_users: FakeWristband
) -> None:
    log_in(client, django_users, user="admin@acme.test")
    assert client.get("/admin/").status_code == 200


def test_the_django_login_ends_with_the_wristband_session(
    client: Client, django_users: FakeWristband, settings: Any
) -> None:
    log_in(client, django_users)
    client.post("/auth/logout/")
    assert client.get("/django-user/").status_code == 302
    log_in(client, django_users)
    expire_access_token(client)
    django_users.revoke_all()
    assert client.get("/api/whoami/").status_code == 401  # refresh failed
    assert client.get("/django-user/").status_code == 302
    log_in(client, django_users)
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "token_encryption_key": "k" * 40}
    assert client.get("/django-user/").status_code == 302  # tokens unreadable: both end


def test_an_inactive_user_is_refused(client: Client, django_users: FakeWristband) -> None:
    get_user_model().objects.create(username="usr_acme_admin", is_active=False)
    response = log_in(client, django_users)
    assert response.status_code == 403 and b"may not use this site" in response.content
    assert client.get("/auth/session/").status_code == 401


@pytest.mark.slow
def test_the_app_needs_no_django_contrib_auth_when_the_integration_is_off() -> None:
    script = (
        "import sys, django; django.setup();"
        "from django.core.management import call_command; call_command('check');"
        "import wristband_django.views, wristband_django.middleware, wristband_django.decorators,"
        " wristband_django.mixins, wristband_django.store.login_records, wristband_django.testing;"
        "from django.test import Client;"
        "assert Client().get('/auth/session/').status_code == 401;"
        "assert 'django.contrib.auth.models' not in sys.modules, 'auth models were imported'"
    )
    env = {"DJANGO_SETTINGS_MODULE": "tests.integration.minimal_settings", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_time_is_recorded_in_utc(client: Client, wristband: FakeWristband) -> None:
    before = time.time()
    log_in(client, wristband)
    row = LoginSession.objects.get()
    assert abs(row.created_at.timestamp() - before) < 5
