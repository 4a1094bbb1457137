"""The admin's "End all sessions of the selected rows' users / tenants": a staff user selects
rows on the LoginSession changelist, confirms on Django's confirmation page, and every session
of those users or tenants ends (the unselected ones too), each revoked at Wristband, with the
admin's signals; a staff user without access to the rows cannot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.dispatch import receiver
from django.test import Client

from tests.support.auth_helpers import admin_client
from wristband_django import signals, testing
from wristband_django.models import LoginSession
from wristband_django.testing import FakeWristband
from wristband_django.types import WristbandSession

pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"])

CHANGELIST = "/admin/wristband_django/loginsession/"
USERS = ("admin@acme.test", "admin@acme.test", "member@acme.test", "admin@globex.test")


def log_in_users(fake: FakeWristband) -> list[Client]:
    clients = []
    for user in USERS:
        client = Client()
        testing.log_in(client, fake, user)
        clients.append(client)
    return clients


def answers(clients: list[Client]) -> list[int]:
    return [client.get("/api/whoami/").status_code for client in clients]


def row_of(user_id: str) -> LoginSession:
    return LoginSession.objects.filter(user_id=user_id).order_by("pk").first()  # type: ignore[return-value]


@pytest.fixture
def admin_signals() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    received: list[tuple[str, dict[str, Any]]] = []

    @receiver(signals.session_ended_by_admin, sender=WristbandSession, weak=False)
    def by_admin(**named: Any) -> None:
        received.append(("session_ended_by_admin", named))

    @receiver(signals.sessions_ended_for, sender=WristbandSession, weak=False)
    def ended_for(**named: Any) -> None:
        received.append(("sessions_ended_for", named))

    yield received
    signals.session_ended_by_admin.disconnect(by_admin, sender=WristbandSession)
    signals.sessions_ended_for.disconnect(ended_for, sender=WristbandSession)


def test_both_actions_are_offered_on_the_changelist(wristband: FakeWristband) -> None:
    log_in_users(wristband)
    page = admin_client().get(CHANGELIST).content.decode()
    assert 'value="end_users_sessions"' in page
    assert "End all sessions of the selected rows&#x27; users" in page
    assert 'value="end_tenants_sessions"' in page
    assert "End all sessions of the selected rows&#x27; tenants" in page


def test_ending_a_users_sessions_asks_first_then_ends_all_of_them(
    wristband: FakeWristband, admin_signals: list[tuple[str, dict[str, Any]]]
) -> None:
    clients = log_in_users(wristband)
    admin = admin_client()
    selected = row_of("usr_acme_admin")  # one of that user's two rows
    asked = admin.post(
        CHANGELIST, {"action": "end_users_sessions", "_selected_action": [selected.pk]}
    )
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "End every session of these users?" in page
    assert "admin@acme.test (usr_acme_admin): 2 sessions" in page
    assert "2 sessions are live now." in page
    assert 'name="post" value="yes"' in page
    assert answers(clients) == [200, 200, 200, 200]  # nothing ended before the confirmation
    assert wristband.calls("revoke") == []

    done = admin.post(
        CHANGELIST,
        {"action": "end_users_sessions", "_selected_action": [selected.pk], "post": "yes"},
    )
    assert done.status_code == 302
    assert [str(m) for m in get_messages(done.wsgi_request)] == ["Ended 2 sessions."]
    assert answers(clients) == [401, 401, 200, 200]
    assert len(wristband.calls("revoke")) == 2
    assert not LoginSession.objects.filter(user_id="usr_acme_admin").exists()
    names = [name for name, _ in admin_signals]
    assert names == ["session_ended_by_admin", "session_ended_by_admin", "sessions_ended_for"]
    assert all(named["request"] is not None for _, named in admin_signals)
    summary = admin_signals[-1][1]
    assert (summary["user_id"], summary["tenant_id"], summary["count"]) == (
        "usr_acme_admin",
        None,
        2,
    )


def test_ending_the_tenants_of_rows_from_two_tenants_ends_both(
    wristband: FakeWristband, admin_signals: list[tuple[str, dict[str, Any]]]
) -> None:
    clients = log_in_users(wristband)
    extra = Client()
    testing.log_in(extra, wristband, "member@globex.test")  # not selected, same tenant
    admin = admin_client()
    chosen = [row_of("usr_acme_member").pk, row_of("usr_globex_admin").pk]
    asked = admin.post(CHANGELIST, {"action": "end_tenants_sessions", "_selected_action": chosen})
    page = asked.content.decode()
    assert "End every session of these tenants?" in page
    assert "acme (tnt_acme): 3 sessions" in page
    assert "globex (tnt_globex): 2 sessions" in page
    done = admin.post(
        CHANGELIST,
        {"action": "end_tenants_sessions", "_selected_action": chosen, "post": "yes"},
        follow=True,
    )
    assert "Ended 5 sessions." in done.content.decode()
    assert answers([*clients, extra]) == [401] * 5
    assert LoginSession.objects.count() == 0
    summaries = [named for name, named in admin_signals if name == "sessions_ended_for"]
    assert [(s["tenant_id"], s["count"]) for s in summaries] == [("tnt_acme", 3), ("tnt_globex", 2)]


def test_a_staff_user_without_access_to_the_rows_cannot_end_anything(
    wristband: FakeWristband,
) -> None:
    clients = log_in_users(wristband)
    staff = get_user_model().objects.create_user("staff", "staff@example.test", "pw")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    for action in ("end_users_sessions", "end_tenants_sessions"):
        response = client.post(
            CHANGELIST,
            {"action": action, "_selected_action": [row_of("usr_acme_admin").pk], "post": "yes"},
        )
        assert response.status_code == 403
    assert answers(clients) == [200, 200, 200, 200]
    assert wristband.calls("revoke") == []
