"""``manage.py wristband_end_sessions``: ends every session of a user, a tenant or a user in a
tenant, says how many, says when Wristband kept refresh tokens, and exits non-zero without a
user or a tenant."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from wristband_django import testing
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.wristband_settings(protected_paths=["/api/"])

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


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("wristband_end_sessions", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_ends_a_users_sessions_and_says_how_many(wristband: FakeWristband) -> None:
    clients = log_in_users(wristband)
    assert run("--user-id", "usr_acme_admin") == ("Ended 2 sessions of user usr_acme_admin.\n", "")
    assert answers(clients) == [401, 401, 200, 200]
    assert len(wristband.calls("revoke")) == 2
    assert run("--user-id", "usr_acme_admin")[0] == "Ended 0 sessions of user usr_acme_admin.\n"


def test_it_ends_a_tenants_sessions_or_a_user_in_a_tenant(wristband: FakeWristband) -> None:
    clients = log_in_users(wristband)
    out, _ = run("--user-id", "usr_acme_member", "--tenant-id", "tnt_acme")
    assert out == "Ended 1 session of user usr_acme_member in tenant tnt_acme.\n"
    assert answers(clients) == [200, 200, 401, 200]
    assert run("--tenant-id", "tnt_acme")[0] == "Ended 2 sessions of tenant tnt_acme.\n"
    assert answers(clients) == [401, 401, 401, 200]


def test_it_says_which_refresh_tokens_wristband_kept(wristband: FakeWristband) -> None:
    clients = log_in_users(wristband)
    wristband.inject("revoke", status=503, times=None)
    out, err = run("--tenant-id", "tnt_acme")
    assert out == "Ended 3 sessions of tenant tnt_acme.\n"
    assert err == (
        "Wristband was unavailable: 3 refresh tokens were not revoked and stay valid at "
        "Wristband until they expire.\n"
    )
    assert answers(clients) == [401, 401, 401, 200]


def test_it_needs_a_user_or_a_tenant(wristband: FakeWristband) -> None:
    clients = log_in_users(wristband)
    with pytest.raises(CommandError, match="Give --user-id, --tenant-id or both"):
        run()
    with pytest.raises(CommandError, match="user_id must not be empty"):
        run("--user-id", "", "--tenant-id", "tnt_acme")
    assert answers(clients) == [200, 200, 200, 200]
