"""Linking Wristband users to Django users who exist already, and refusing unknown ones
(issue 24, point 7), end to end: the fake Wristband's userinfo, the callback, the adapter.

The takeover shapes are the dimension: what ``email_verified`` says (only JSON ``true``
verifies), whose account claims the email (another tenant's), how the email is written,
and how many users have it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.docs.docs_blocks import code
from tests.support.auth_helpers import log_in
from tests.support.django_users_docs import project_module, run_settings_block
from wristband_django.models import UserLink
from wristband_django.testing import FakeUser, FakeWristband
from wristband_django.user_adapter import UserAdapter

User = get_user_model()
ALICE = "usr_acme_alice"
ALICE_EMAIL = "alice@example.com"


class LinkingAdapter(UserAdapter):
    """Links by verified email; creates users for everyone else."""

    link_existing_users_by_verified_email = True


class NoNewUsersAdapter(UserAdapter):
    """Creates no users; links none."""

    create_users = False


def use_adapter(fake: FakeWristband, settings: Any, adapter: str) -> None:
    settings.WRISTBAND_AUTH = fake.auth_settings(
        authenticate_django_user=True, user_adapter=adapter
    )


@pytest.fixture
def linking(wristband: FakeWristband, settings: Any) -> FakeWristband:
    use_adapter(wristband, settings, f"{__name__}.LinkingAdapter")
    return wristband


def add_wristband_user(
    fake: FakeWristband,
    sub: str = ALICE,
    email: str = ALICE_EMAIL,
    tenant: str = "acme",
    **claims: Any,
) -> None:
    fake.add_user(FakeUser(sub=sub, tenant=tenant, email=email, extra_claims=claims))


def logged_in_as(client: Client) -> str | None:
    """The username of the client's Django user, ``None`` when it has none."""
    response = client.get("/django-user/")
    return str(response.json()["username"]) if response.status_code == 200 else None


def refused(response: Any, client: Client) -> bool:
    """The callback refused the login: its 403 page, and no session."""
    return bool(
        response.status_code == 403
        and b"may not use this site" in response.content
        and client.get("/auth/session/").status_code == 401
    )


# --- linking by a verified email --------------------------------------------------------


def test_a_verified_email_links_the_existing_user_and_the_link_outlives_the_email(
    linking: FakeWristband,
) -> None:
    alice = User.objects.create_user("alice", email=ALICE_EMAIL, password="her-old-password")
    add_wristband_user(linking, email_verified=True)
    client = Client()
    assert log_in(client, linking, user=ALICE).status_code == 302
    assert logged_in_as(client) == "alice"  # her username, not the Wristband user id
    assert User.objects.count() == 1 and User.objects.get().check_password("her-old-password")
    assert UserLink.objects.get(wristband_user_id=ALICE).user_pk == str(alice.pk)
    User.objects.filter(pk=alice.pk).update(email="alice@elsewhere.example")
    linking.add_user(FakeUser(sub=ALICE, tenant="acme", email="a@new.example"))  # replaced
    again = Client()
    log_in(again, linking, user=ALICE)
    assert logged_in_as(again) == "alice"  # the link, not the email, finds her now


@pytest.mark.parametrize(
    "email_verified",
    ["false", "true", "True", 1, 0, None, "missing", {"verified": True}, [True]],
)
def test_only_a_json_true_email_verified_links(linking: FakeWristband, email_verified: Any) -> None:
    """allauth 65.22's takeover: ``email_verified="false"`` read as truthy linked accounts."""
    User.objects.create_user("alice", email=ALICE_EMAIL)
    if email_verified == "missing":  # the fake always sends the claim: answer without it
        add_wristband_user(linking)
        userinfo = {
            "sub": ALICE, "tnt_id": "tnt_acme", "app_id": linking.settings.app_id,
            "idp_name": "wristband", "email": ALICE_EMAIL, "name": "", "roles": [],
        }  # fmt: skip
        linking.inject("userinfo", status=200, body=json.dumps(userinfo))
    else:
        add_wristband_user(linking, email_verified=email_verified)
    client = Client()
    assert log_in(client, linking, user=ALICE).status_code == 302
    assert logged_in_as(client) == ALICE  # a user of its own
    assert User.objects.filter(username="alice", email=ALICE_EMAIL).exists()
    assert UserLink.objects.get(wristband_user_id=ALICE).linked_by == "created"


def test_another_tenants_unverified_claim_to_the_email_takes_nothing(
    linking: FakeWristband,
) -> None:
    """An attacker's account in another tenant says the victim's email, unverified: it gets
    a user of its own, and the victim's own verified login still finds the victim's user."""
    User.objects.create_user("alice", email=ALICE_EMAIL, is_staff=True)
    add_wristband_user(linking, "usr_globex_mallory", tenant="globex", email_verified=False)
    attacker = Client()
    log_in(attacker, linking, "tenant_name=globex", user="usr_globex_mallory")
    assert logged_in_as(attacker) == "usr_globex_mallory"
    assert not User.objects.get(username="usr_globex_mallory").is_staff
    add_wristband_user(linking, email_verified=True)
    victim = Client()
    log_in(victim, linking, user=ALICE)
    assert logged_in_as(victim) == "alice"  # the attacker's user (same email) is linked: no tie


@pytest.mark.parametrize(
    ("django_email", "wristband_email"),
    [
        ("Alice@Example.com", "alice@example.com"),
        ("alice@example.com", "ALICE@EXAMPLE.COM"),
        ("aLiCe@eXample.CoM", "Alice@example.com"),
    ],
)
def test_emails_match_whatever_their_case(
    linking: FakeWristband, django_email: str, wristband_email: str
) -> None:
    User.objects.create_user("alice", email=django_email)
    add_wristband_user(linking, email=wristband_email, email_verified=True)
    client = Client()
    log_in(client, linking, user=ALICE)
    assert logged_in_as(client) == "alice"


def test_an_email_two_users_share_is_refused_not_guessed(linking: FakeWristband) -> None:
    User.objects.create_user("alice", email=ALICE_EMAIL)
    User.objects.create_user("alice2", email=ALICE_EMAIL.upper())
    add_wristband_user(linking, email_verified=True)
    client = Client()
    assert refused(log_in(client, linking, user=ALICE), client)
    assert User.objects.count() == 2 and not UserLink.objects.exists()


def test_a_user_linked_to_another_wristband_user_is_not_linked_again(
    linking: FakeWristband,
) -> None:
    """The same verified email in two tenants: the first login links, the second gets its
    own user (a Django user is one Wristband user's)."""
    User.objects.create_user("alice", email=ALICE_EMAIL)
    add_wristband_user(linking, email_verified=True)
    add_wristband_user(linking, "usr_globex_alice", tenant="globex", email_verified=True)
    first, second = Client(), Client()
    log_in(first, linking, user=ALICE)
    log_in(second, linking, "tenant_name=globex", user="usr_globex_alice")
    assert (logged_in_as(first), logged_in_as(second)) == ("alice", "usr_globex_alice")


def test_linking_is_off_by_default(wristband: FakeWristband, settings: Any) -> None:
    settings.WRISTBAND_AUTH = wristband.auth_settings(authenticate_django_user=True)
    User.objects.create_user("alice", email=ALICE_EMAIL)
    add_wristband_user(wristband, email_verified=True)
    client = Client()
    log_in(client, wristband, user=ALICE)
    assert logged_in_as(client) == ALICE


def test_a_deleted_users_link_is_replaced(linking: FakeWristband) -> None:
    User.objects.create_user("alice", email=ALICE_EMAIL)
    add_wristband_user(linking, email_verified=True)
    log_in(Client(), linking, user=ALICE)
    User.objects.filter(username="alice").delete()
    client = Client()
    log_in(client, linking, user=ALICE)
    assert logged_in_as(client) == ALICE
    assert UserLink.objects.get().user_pk == str(User.objects.get().pk)


def test_a_user_created_later_with_a_deleted_users_primary_key_inherits_no_link(
    linking: FakeWristband,
) -> None:
    """Databases that reuse primary keys (MySQL before 8.0 after a restart; an explicit pk)
    must not hand a deleted user's Wristband user to whoever gets the key next."""
    alice = User.objects.create_user("alice", email=ALICE_EMAIL)
    add_wristband_user(linking, email_verified=True)
    log_in(Client(), linking, user=ALICE)
    old_pk = alice.pk
    alice.delete()
    assert not UserLink.objects.exists()
    User.objects.create_user("bob", email="bob@example.test", pk=old_pk)
    client = Client()
    log_in(client, linking, user=ALICE)
    assert logged_in_as(client) not in (None, "bob")


# --- creating no users ------------------------------------------------------------------------


def test_without_user_creation_an_unknown_user_is_refused(
    wristband: FakeWristband, settings: Any
) -> None:
    use_adapter(wristband, settings, f"{__name__}.NoNewUsersAdapter")
    client = Client()
    assert refused(log_in(client, wristband, user="member@acme.test"), client)
    assert not User.objects.exists()
    User.objects.create_user("usr_acme_member")  # made by the project: logs in
    log_in(client, wristband, user="member@acme.test")
    assert logged_in_as(client) == "usr_acme_member"


# --- the documentation's blocks, as written -----------------------------------------------------


@pytest.fixture
def documented(
    wristband: FakeWristband, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeWristband]:
    settings.WRISTBAND_AUTH = wristband.auth_settings(authenticate_django_user=True)
    with project_module(tmp_path, monkeypatch, "auth", code("django-users:adapter")):
        run_settings_block(code("django-users:settings"), settings)
        yield wristband


def test_the_documented_adapter_links_alice_and_refuses_strangers(
    documented: FakeWristband,
) -> None:
    User.objects.create_user("alice", email="Alice@Example.com")
    add_wristband_user(documented, email_verified=True)
    alice, stranger = Client(), Client()
    log_in(alice, documented, user=ALICE)
    assert logged_in_as(alice) == "alice"
    add_wristband_user(documented, "usr_acme_bob", email="bob@example.com", email_verified=True)
    assert refused(log_in(stranger, documented, user="usr_acme_bob"), stranger)
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]
