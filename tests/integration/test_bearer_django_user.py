"""``bearer_django_user`` (issue 24, point 6): a person's bearer token makes ``request.user``
their Django user on every entry point (the decorator, sync and async, the mixin,
``protected_paths``, DRF, django-ninja), found in one query and never created; machine
tokens keep their ``WristbandUser``; a person without an active Django user is refused. The
request still has one caller (the matrix of tests/guards/test_one_principal.py, re-run with
the setting on).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.docs.docs_blocks import code
from tests.guards.test_one_principal import (
    ADMIN_ONLY,
    SESSION_FIRST,
    SESSION_USERS,
    TOKEN_FIRST,
    TOKEN_USERS,
    USERS,
    principals_seen,
    session_of,
    token_of,
)
from tests.support.django_users_docs import project_module, run_settings_block
from wristband_django.models import UserLink
from wristband_django.testing import FakeWristband

User = get_user_model()
ON = {"authenticate_django_user": True, "bearer_django_user": True}
pytestmark = [
    pytest.mark.urls("tests.guards.tenant_host_urls"),
    pytest.mark.wristband_settings(
        protected_paths=["/api/"], protected_paths_strategies=["bearer", "session"], **ON
    ),
]

#: Every entry point that takes a bearer token, and how it shows ``request.user``.
ENTRY_POINTS = [
    "/api/protected/",
    "/decorated-bearer/",
    "/async-decorated/",
    "/mixin/",
    "/drf/",
    "/ninja/either",
]


def linked_user(wristband_user_id: str, username: str, **fields: Any) -> Any:
    """A Django user of the project's own (its own username), linked to a Wristband user."""
    user = User.objects.create_user(username, **fields)
    UserLink.objects.create(wristband_user_id=wristband_user_id, user_pk=str(user.pk))
    return user


def call(path: str, token: str) -> Any:
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("path", ENTRY_POINTS)
def test_a_persons_token_makes_request_user_their_django_user(
    wristband: FakeWristband, path: str
) -> None:
    member = linked_user("usr_acme_member", "member-of-acme")
    response = call(path, wristband.access_token_for("member@acme.test"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["djangoUser"] == "member-of-acme"
    assert body["token"] == body["user"][:2] == ["usr_acme_member", "tnt_acme"]
    if path == "/drf/":
        assert body["drfUser"] == str(member.pk)  # DRF's request.user
    if path == "/ninja/either":
        assert body["ninjaUser"] == "usr_acme_member"  # request.auth: the WristbandUser


@pytest.mark.parametrize("path", ENTRY_POINTS)
def test_without_the_setting_request_user_is_the_wristband_user(
    wristband: FakeWristband, settings: Any, path: str
) -> None:
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "bearer_django_user": False}
    linked_user("usr_acme_member", "member-of-acme")
    response = call(path, wristband.access_token_for("member@acme.test"))
    assert response.json()["djangoUser"] == "usr_acme_member"


@pytest.mark.parametrize("path", ENTRY_POINTS)
@pytest.mark.parametrize("who", ["unknown", "inactive"])
def test_a_person_without_an_active_django_user_is_refused(
    wristband: FakeWristband, path: str, who: str
) -> None:
    if who == "inactive":
        linked_user("usr_acme_member", "member-of-acme", is_active=False)
    response = call(path, wristband.access_token_for("member@acme.test"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert User.objects.count() == (1 if who == "inactive" else 0)  # never created


@pytest.mark.parametrize("path", ENTRY_POINTS)
def test_a_machine_token_keeps_its_wristband_user(wristband: FakeWristband, path: str) -> None:
    linked_user("m2m-client", "a-person-named-like-the-client")
    token = wristband.access_token_for("admin@acme.test", sub="m2m-client", client_id="m2m-client")
    with CaptureQueriesContext(connection) as queries:
        response = call(path, token)
    assert response.status_code == 200, response.content
    assert response.json()["djangoUser"] == "m2m-client"  # the WristbandUser's id
    assert not queries.captured_queries


def test_the_lookup_is_one_query_and_none_without_the_setting(
    wristband: FakeWristband, settings: Any
) -> None:
    linked_user("usr_acme_member", "member-of-acme")
    token = wristband.access_token_for("member@acme.test")
    with CaptureQueriesContext(connection) as queries:
        assert call("/drf/", token).status_code == 200  # the middleware, then DRF: asked twice
    assert len(queries.captured_queries) == 1
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "bearer_django_user": False}
    with CaptureQueriesContext(connection) as queries:
        assert call("/drf/", token).status_code == 200
    assert not queries.captured_queries


def test_a_user_made_by_an_earlier_release_is_found_by_username(
    wristband: FakeWristband,
) -> None:
    user = User.objects.create_user("usr_acme_member")  # username = Wristband user id, no link
    response = call("/drf/", wristband.access_token_for("member@acme.test"))
    assert response.status_code == 200 and response.json()["drfUser"] == str(user.pk)


#: test_one_principal's entry points but the async view, which would need ``await
#: request.auser()`` to read a session's Django user (Django's rule for async views).
MATRIX_PATHS = [path for path in TOKEN_FIRST + SESSION_FIRST if path != "/async-decorated/"]


@pytest.mark.parametrize("path", MATRIX_PATHS)
def test_a_view_still_sees_one_caller(wristband: FakeWristband, path: str) -> None:
    """test_one_principal's matrix (whose session x whose token), every user a Django user:
    the view sees one caller or refuses, and ``request.user`` is that caller's Django user."""
    sessions = {who: session_of(wristband, who) if who else Client() for who in SESSION_USERS}
    tokens = {who: token_of(wristband, who) for who in TOKEN_USERS if who}  # logs each in
    assert User.objects.count() == len(USERS)
    for session_user in SESSION_USERS:
        for token_user in TOKEN_USERS:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[token_user]}"} if token_user else {}
            response = sessions[session_user].get(path, **headers)
            where = f"{path}: session of {session_user}, token of {token_user}"
            token_decides = token_user is not None and (path in TOKEN_FIRST or not session_user)
            decider = token_user if token_decides else session_user
            if decider is None:
                assert response.status_code == 401, where
            elif token_decides and session_user not in (None, token_user):
                assert response.status_code == 401, where  # a token beside another's session
            elif path in ADMIN_ONLY and "admin" not in decider:
                assert response.status_code == 403, where
            else:
                assert response.status_code == 200, where
                body = response.json()
                caller = (USERS[decider][0], f"tnt_{USERS[decider][1]}")
                assert principals_seen(body) == {caller}, where
                assert body["djangoUser"] == caller[0], where  # the callback named it so


# --- the documentation's blocks, as written -----------------------------------------------------


@pytest.fixture
def documented_api(
    wristband: FakeWristband, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeWristband]:
    """docs/apis.md's bearer settings and DRF view, as written, at ``/users/``."""
    settings.WRISTBAND_AUTH = wristband.auth_settings(authenticate_django_user=True)
    run_settings_block(code("django-users:bearer-settings"), settings)
    urls = (
        "from django.urls import path\nfrom . import views\n"
        'urlpatterns = [path("users/", views.Users.as_view())]\n'
    )
    with project_module(tmp_path, monkeypatch, "views", code("django-users:bearer-view")):
        (tmp_path / "myproject" / "urls.py").write_text(urls)
        settings.ROOT_URLCONF = "myproject.urls"
        yield wristband


def test_the_documented_view_checks_django_permissions_for_a_token(
    documented_api: FakeWristband,
) -> None:
    member = linked_user("usr_acme_member", "member-of-acme")
    token = documented_api.access_token_for("member@acme.test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().post("/users/", **headers).status_code == 403  # no auth.add_user yet
    member.user_permissions.add(Permission.objects.get(codename="add_user"))
    response = Client().post("/users/", **headers)
    assert response.status_code == 200
    assert response.json() == {"by": "member-of-acme", "token": "usr_acme_member"}


def test_a_caller_without_a_django_user_gets_403_from_django_permissions_not_a_500(
    documented_api: FakeWristband, settings: Any
) -> None:
    """A machine token keeps its ``WristbandUser``, which has no Django permissions (as
    ``AnonymousUser``): ``DjangoModelPermissions`` answers 403; so for a person's token
    with the setting off."""
    machine = documented_api.access_token_for(
        "admin@acme.test", sub="m2m-client", client_id="m2m-client"
    )
    response = Client().post("/users/", HTTP_AUTHORIZATION=f"Bearer {machine}")
    assert response.status_code == 403, response.content
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "bearer_django_user": False}
    person = documented_api.access_token_for("member@acme.test")
    response = Client().post("/users/", HTTP_AUTHORIZATION=f"Bearer {person}")
    assert response.status_code == 403, response.content
