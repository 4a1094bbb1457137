"""Ending every session of a user or a tenant (``sessions.end_sessions``): several users of two
tenants log in through the fake Wristband; the sessions of one user, one tenant or one user in
one tenant end (401, rows gone, each newest refresh token revoked once), every other session
keeps working, a refresh in flight finishes first, a session already gone is not counted, and
Wristband being down does not keep a session alive."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.dispatch import receiver
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.support.auth_helpers import expire_access_token, stored_entry
from wristband_django import signals, testing
from wristband_django.conf import get_config
from wristband_django.errors import StoreUnavailableError
from wristband_django.flows.end_session import end_sessions_of
from wristband_django.models import LoginSession
from wristband_django.sessions import end_sessions
from wristband_django.store.access import session_store
from wristband_django.testing import FakeWristband
from wristband_django.types import WristbandSession

pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"])

#: Who logs in, as (name, fake user): the acme admin twice (two browsers).
LOGINS = (
    ("acme-admin-laptop", "admin@acme.test"),
    ("acme-admin-phone", "admin@acme.test"),
    ("acme-member", "member@acme.test"),
    ("globex-admin", "admin@globex.test"),
    ("globex-member", "member@globex.test"),
)


def log_everyone_in(fake: FakeWristband) -> dict[str, Client]:
    clients = {}
    for name, user in LOGINS:
        client = Client()
        assert testing.log_in(client, fake, user).status_code == 302
        clients[name] = client
    return clients


def answers(clients: dict[str, Client]) -> dict[str, int]:
    return {name: client.get("/api/whoami/").status_code for name, client in clients.items()}


def newest_refresh_tokens(clients: dict[str, Client], *names: str) -> set[str]:
    tokens = set()
    for name in names:
        entry = stored_entry(clients[name])
        assert entry is not None and entry.refresh_token
        tokens.add(entry.refresh_token)
    return tokens


def revoked(fake: FakeWristband) -> list[str]:
    return [call.form["token"] for call in fake.calls("revoke")]


@pytest.fixture
def sent() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every ``logged_out`` and ``sessions_ended_for`` sent, in order."""
    received: list[tuple[str, dict[str, Any]]] = []

    @receiver(signals.logged_out, sender=WristbandSession, weak=False)
    def on_logged_out(**named: Any) -> None:
        received.append(("logged_out", named))

    @receiver(signals.sessions_ended_for, sender=WristbandSession, weak=False)
    def on_ended_for(**named: Any) -> None:
        received.append(("sessions_ended_for", named))

    yield received
    signals.logged_out.disconnect(on_logged_out, sender=WristbandSession)
    signals.sessions_ended_for.disconnect(on_ended_for, sender=WristbandSession)


def test_a_users_sessions_end_and_everyone_elses_keep_working(
    session_backend: str, wristband: FakeWristband, sent: list[tuple[str, dict[str, Any]]]
) -> None:
    clients = log_everyone_in(wristband)
    tokens = newest_refresh_tokens(clients, "acme-admin-laptop", "acme-admin-phone")
    assert end_sessions(user_id="usr_acme_admin") == 2
    assert answers(clients) == {
        "acme-admin-laptop": 401,
        "acme-admin-phone": 401,
        "acme-member": 200,
        "globex-admin": 200,
        "globex-member": 200,
    }
    assert sorted(revoked(wristband)) == sorted(tokens)  # each newest token, once
    assert set(LoginSession.objects.values_list("user_id", flat=True)) == {
        "usr_acme_member",
        "usr_globex_admin",
        "usr_globex_member",
    }
    assert [name for name, _ in sent] == ["logged_out", "logged_out", "sessions_ended_for"]
    assert [named["user_id"] for _, named in sent[:2]] == ["usr_acme_admin"] * 2
    summary = sent[2][1]
    assert summary["request"] is None
    assert (summary["user_id"], summary["tenant_id"], summary["count"]) == (
        "usr_acme_admin",
        None,
        2,
    )


def test_a_tenants_sessions_end_and_the_other_tenants_keep_working(
    wristband: FakeWristband,
) -> None:
    clients = log_everyone_in(wristband)
    tokens = newest_refresh_tokens(clients, "acme-admin-laptop", "acme-admin-phone", "acme-member")
    assert end_sessions(tenant_id="tnt_acme") == 3
    assert answers(clients) == {
        "acme-admin-laptop": 401,
        "acme-admin-phone": 401,
        "acme-member": 401,
        "globex-admin": 200,
        "globex-member": 200,
    }
    assert sorted(revoked(wristband)) == sorted(tokens)
    assert set(LoginSession.objects.values_list("tenant_id", flat=True)) == {"tnt_globex"}
    # Ending them again finds nothing: the count is of sessions that were live.
    assert end_sessions(tenant_id="tnt_acme") == 0
    assert len(revoked(wristband)) == 3


def test_a_user_in_a_tenant_ends_only_there(wristband: FakeWristband) -> None:
    clients = log_everyone_in(wristband)
    assert end_sessions(user_id="usr_acme_admin", tenant_id="tnt_globex") == 0
    assert set(answers(clients).values()) == {200}
    assert revoked(wristband) == []
    assert end_sessions(user_id="usr_globex_member", tenant_id="tnt_globex") == 1
    assert answers(clients)["globex-member"] == 401
    assert list(answers(clients).values()).count(200) == 4


def test_a_row_whose_session_is_already_gone_is_removed_not_counted(
    wristband: FakeWristband,
) -> None:
    clients = log_everyone_in(wristband)
    expired = clients["acme-admin-phone"].cookies[django_settings.SESSION_COOKIE_NAME].value
    session_store().delete(expired)  # it expired in the store; its row is still there
    live = newest_refresh_tokens(clients, "acme-admin-laptop")
    assert LoginSession.objects.filter(user_id="usr_acme_admin").count() == 2
    assert end_sessions(user_id="usr_acme_admin") == 1
    assert revoked(wristband) == list(live)
    assert not LoginSession.objects.filter(user_id="usr_acme_admin").exists()


def test_a_row_no_current_key_opens_is_removed_not_counted(wristband: FakeWristband) -> None:
    clients = log_everyone_in(wristband)
    row = LoginSession.objects.filter(user_id="usr_acme_member").get()
    LoginSession.objects.filter(pk=row.pk).update(session_key_sealed="sealed-with-a-retired-key")
    assert end_sessions(user_id="usr_acme_member") == 0
    assert not LoginSession.objects.filter(user_id="usr_acme_member").exists()
    assert revoked(wristband) == []
    # That session cannot be found any more (as with the admin's "End session"): it lives on.
    assert answers(clients)["acme-member"] == 200


def test_wristband_down_still_ends_every_session_and_says_the_tokens_live_on(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    clients = log_everyone_in(wristband)
    tokens = newest_refresh_tokens(clients, "acme-admin-laptop", "acme-admin-phone", "acme-member")
    wristband.inject("revoke", status=503, times=None)
    with caplog.at_level(logging.WARNING, logger="wristband_django"):
        ended = end_sessions_of(get_config(), tenant_id="tnt_acme")
    assert (ended.count, ended.not_revoked) == (3, 3)
    assert [answers(clients)[name] for name in ("acme-admin-laptop", "acme-member")] == [401, 401]
    # One call found Wristband down; the others were not sent to wait out their deadlines.
    assert len(wristband.calls("revoke")) == 1
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any(
        "3 refresh token(s)" in line and "valid at Wristband until they expire" in line
        for line in warnings
    ), warnings
    assert not any(token in line for token in tokens for line in caplog.messages)


def test_a_refused_revoke_is_logged_and_the_others_are_still_revoked(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    clients = log_everyone_in(wristband)
    wristband.inject("revoke", status=400, json={"error": "invalid_request"})
    with caplog.at_level(logging.WARNING, logger="wristband_django"):
        ended = end_sessions_of(get_config(), user_id="usr_acme_admin")
    assert (ended.count, ended.not_revoked) == (2, 0)
    assert len(wristband.calls("revoke")) == 2
    assert any("invalid_request" in line for line in caplog.messages)
    assert answers(clients)["acme-admin-phone"] == 401


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_refresh_in_flight_finishes_first_and_its_newest_token_is_revoked(
    wristband: FakeWristband,
) -> None:
    clients = log_everyone_in(wristband)
    refreshing_client = clients["acme-admin-phone"]
    expire_access_token(refreshing_client)
    held = wristband.inject("token", hold=True, grant_type="refresh_token")
    refresh_answers: list[int] = []
    refreshing = threading.Thread(
        target=lambda: refresh_answers.append(refreshing_client.get("/api/whoami/").status_code)
    )
    refreshing.start()
    assert held.arrived.wait(5)  # the refresh is at Wristband, holding the session's lock
    results: list[int] = []
    ending = threading.Thread(target=lambda: results.append(end_sessions(user_id="usr_acme_admin")))
    ending.start()
    ending.join(0.5)
    assert ending.is_alive()  # waiting for the refresh's lock
    assert results == []
    held.release()
    refreshing.join(5)
    ending.join(10)
    assert refresh_answers == [200]  # the refresh finished first
    assert results == [2]
    assert answers(clients)["acme-admin-phone"] == 401  # then the session ended for good
    (refresh,) = wristband.calls("token", grant_type="refresh_token")
    assert refresh.form["refresh_token"] not in revoked(wristband)  # the rotated-away one
    assert len(revoked(wristband)) == 2


def test_many_sessions_are_read_in_batches_with_one_query_per_batch(
    wristband: FakeWristband,
) -> None:
    clients = [Client() for _ in range(7)]
    for client in clients:
        testing.log_in(client, wristband, "member@globex.test")
    testing.log_in(Client(), wristband, "admin@acme.test")
    with CaptureQueriesContext(connection) as queries:
        ended = end_sessions_of(get_config(), tenant_id="tnt_globex", batch_size=3)
    assert ended.count == 7
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
    assert len(reads) == 4  # where to stop, then 3 + 3 + 1 rows: no query per session
    assert 'MAX("wristband_django_loginsession"."id")' in reads[0]
    assert all('"session_key_sealed"' in read and "LIMIT 3" in read for read in reads[1:])
    assert len(deletes) == 7  # one row per ended session
    assert {client.get("/api/whoami/").status_code for client in clients} == {401}
    assert LoginSession.objects.get().user_id == "usr_acme_admin"


def test_the_arguments_are_checked(wristband: FakeWristband, settings: Any) -> None:
    with pytest.raises(ValueError, match="user_id, tenant_id or both"):
        end_sessions()
    with pytest.raises(ValueError, match="user_id must not be empty"):
        end_sessions(user_id="")
    with pytest.raises(TypeError, match="tenant_id must be a str, not int"):
        end_sessions(tenant_id=42)  # type: ignore[arg-type]
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "track_sessions": False}
    with pytest.raises(ImproperlyConfigured, match="track_sessions"):
        end_sessions(user_id="usr_acme_admin")
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "track_sessions": True}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    with pytest.raises(ImproperlyConfigured, match="signed_cookies"):
        end_sessions(user_id="usr_acme_admin")


@pytest.mark.slow
def test_with_the_store_down_nothing_is_claimed_and_a_second_run_ends_them(
    wristband: FakeWristband, throwaway_redis: Any, settings: Any
) -> None:
    settings.CACHES = {"default": throwaway_redis.cache_settings(0.5)}
    clients = log_everyone_in(wristband)
    throwaway_redis.stop_keeping_data()
    with pytest.raises(StoreUnavailableError) as failed:
        end_sessions(tenant_id="tnt_acme")
    assert failed.value.ended == 0  # type: ignore[attr-defined]
    assert revoked(wristband) == []
    throwaway_redis.start()
    assert answers(clients)["acme-member"] == 200  # still logged in: nothing was claimed
    assert LoginSession.objects.filter(tenant_id="tnt_acme").count() == 3
    assert end_sessions(tenant_id="tnt_acme") == 3
    assert answers(clients)["acme-member"] == 401


def test_a_run_ends_the_sessions_there_were_when_it_began_and_then_stops(
    wristband: FakeWristband,
) -> None:
    clients = log_everyone_in(wristband)
    latecomer = Client()

    def log_in_meanwhile(**named: Any) -> None:  # a login while the run goes on
        if "latecomer" not in clients:
            clients["latecomer"] = latecomer
            testing.log_in(latecomer, wristband, "admin@acme.test")

    signals.logged_out.connect(log_in_meanwhile, sender=WristbandSession, weak=False)
    try:
        ended = end_sessions_of(get_config(), user_id="usr_acme_admin", batch_size=1)
    finally:
        signals.logged_out.disconnect(log_in_meanwhile, sender=WristbandSession)
    assert ended.count == 2
    assert answers(clients)["latecomer"] == 200
    assert answers(clients)["acme-admin-phone"] == 401
