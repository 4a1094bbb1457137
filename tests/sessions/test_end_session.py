"""Ending a session: one flow for logout, the admin, a failed refresh and the purge. It waits
for a refresh in flight, revokes the newest refresh token, and claims nothing it could not do:
with the store down the answer is 503 and the session lives on."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client

from tests.support.auth_helpers import (
    admin_client,
    expire_access_token,
    finish_login,
    log_in,
    start_login,
)
from tests.support.redis_server import ThrowawayRedis
from wristband_django.models import LoginSession
from wristband_django.store.access import session_store
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME

pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"])


@pytest.fixture
def on_throwaway_redis(throwaway_redis: ThrowawayRedis, settings: Any) -> ThrowawayRedis:
    settings.CACHES = {"default": throwaway_redis.cache_settings(0.5)}
    return throwaway_redis


def cookie_deleted(response: Any) -> bool:
    morsel = response.cookies.get(SESSION_COOKIE)
    return morsel is not None and (morsel.value == "" or morsel["max-age"] == 0)


@pytest.mark.slow
def test_logout_with_the_store_down_is_503_and_ends_nothing(
    wristband: FakeWristband, on_throwaway_redis: ThrowawayRedis
) -> None:
    client = Client()
    log_in(client, wristband)
    on_throwaway_redis.stop_keeping_data()
    response = client.post("/auth/logout/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert not cookie_deleted(response)
    assert wristband.calls("revoke") == []
    on_throwaway_redis.start()
    assert client.get("/api/whoami/").status_code == 200  # still logged in: nothing claimed
    assert client.post("/auth/logout/").status_code == 302  # and logout works once it is back
    assert client.get("/api/whoami/").status_code == 401
    assert len(wristband.calls("revoke")) == 1


@pytest.mark.slow
def test_callback_with_the_store_down_is_a_503_page_not_a_500(
    wristband: FakeWristband, on_throwaway_redis: ThrowawayRedis
) -> None:
    client = Client(raise_request_exception=False)
    started = start_login(client)
    on_throwaway_redis.stop_keeping_data()
    response = finish_login(client, wristband, started["Location"])
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"session_store_unavailable" in response.content
    on_throwaway_redis.start()
    assert log_in(client, wristband)["Location"] == "/"


def end_by_admin(admin: Client) -> Any:
    (row,) = LoginSession.objects.all()
    return admin.post(
        "/admin/wristband_django/loginsession/",
        {"action": "end_sessions", "_selected_action": [row.pk]},
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_admin_ending_a_session_during_its_refresh_waits_and_revokes_the_newest(
    session_backend: str, wristband: FakeWristband
) -> None:
    user = Client()
    log_in(user, wristband)
    expire_access_token(user)
    slow = wristband.inject("token", delay=0.5, grant_type="refresh_token")  # a slow answer
    answers: list[int] = []
    refreshing = threading.Thread(
        target=lambda: answers.append(user.get("/api/whoami/").status_code)
    )
    refreshing.start()
    assert slow.arrived.wait(5)  # the refresh is in flight, holding the session's lock
    admin = admin_client()
    assert end_by_admin(admin).status_code == 302
    refreshing.join(5)
    assert answers == [200]  # the refresh finished first
    assert user.get("/api/whoami/").status_code == 401  # then the session ended: not resurrected
    (refresh,) = wristband.calls("token", grant_type="refresh_token")
    (revoke,) = wristband.calls("revoke")
    assert revoke.form["token"] != refresh.form["refresh_token"]  # the newest one
    assert LoginSession.objects.count() == 0


@pytest.mark.slow
def test_the_admin_ending_a_session_with_its_lock_store_down_says_so(
    wristband: FakeWristband, throwaway_redis: ThrowawayRedis, settings: Any
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "locks": throwaway_redis.cache_settings(0.5),
    }
    settings.WRISTBAND_AUTH = wristband.auth_settings(
        protected_paths=["/api/"], lock_cache_alias="locks"
    )
    user = Client()
    log_in(user, wristband)
    admin = admin_client()
    throwaway_redis.stop_keeping_data()
    response = end_by_admin_following(admin)
    assert response.status_code == 200
    assert b"no session was ended" in response.content
    assert LoginSession.objects.count() == 1 and wristband.calls("revoke") == []


def end_by_admin_following(admin: Client) -> Any:
    (row,) = LoginSession.objects.all()
    return admin.post(
        "/admin/wristband_django/loginsession/",
        {"action": "end_sessions", "_selected_action": [row.pk]},
        follow=True,
    )


def test_the_admin_cannot_delete_rows_and_leave_their_sessions_alive(
    wristband: FakeWristband,
) -> None:
    user = Client()
    log_in(user, wristband)
    admin = admin_client()
    row = LoginSession.objects.get()
    changelist = admin.get("/admin/wristband_django/loginsession/").content.decode()
    assert "delete_selected" not in changelist
    response = admin.post(
        "/admin/wristband_django/loginsession/",
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert admin.get(f"/admin/wristband_django/loginsession/{row.pk}/delete/").status_code == 403
    assert LoginSession.objects.count() == 1
    assert user.get("/api/whoami/").status_code == 200


def test_a_failed_refresh_ends_the_session_through_the_same_flow(wristband: FakeWristband) -> None:
    user = Client()
    log_in(user, wristband)
    expire_access_token(user)
    wristband.inject(
        "token", status=400, json={"error": "invalid_request"}, grant_type="refresh_token"
    )
    assert user.get("/api/whoami/").status_code == 401
    assert LoginSession.objects.count() == 0
    assert len(wristband.calls("revoke")) == 1  # the family is revoked, not left to expire


@pytest.mark.slow
def test_the_purge_ends_what_is_left_and_reports_an_outage(
    wristband: FakeWristband, on_throwaway_redis: ThrowawayRedis
) -> None:
    alive, expired = Client(), Client()
    log_in(alive, wristband)
    log_in(expired, wristband, user="member@acme.test")
    session_store().delete(expired.cookies[SESSION_COOKIE].value)  # it expired in the store
    assert LoginSession.objects.count() == 2
    call_command("wristband_purge_sessions")
    assert list(LoginSession.objects.values_list("user_id", flat=True)) == ["usr_acme_admin"]
    on_throwaway_redis.stop_keeping_data()
    with pytest.raises(CommandError, match="unavailable"):
        call_command("wristband_purge_sessions")
