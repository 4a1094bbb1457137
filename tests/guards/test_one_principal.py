"""One identity per request (issue 22, point 2).

Whatever strategy decides, everything the view sees (``request.wristband``,
``request.wristband_token``, ``request.wristband_user``, ``request.user`` and the role
check) describes one caller. A bearer token sent with the session of another user (or
tenant) is refused: 401 ``invalid_token``. The matrix enumerates the dimension the review's
probe varied: whose session x whose token x strategy order x entry point.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.support.auth_helpers import log_in
from tests.support.hostile_tokens import claims_of, sign
from wristband_django.testing import FakeWristband

pytestmark = [
    pytest.mark.urls("tests.guards.tenant_host_urls"),
    pytest.mark.wristband_settings(
        protected_paths=["/api/"], protected_paths_strategies=["bearer", "session"]
    ),
]

#: Entry points that accept both a session and a bearer token, bearer tried first.
TOKEN_FIRST = [
    "/api/protected/",
    "/decorated-admins-token-first/",
    "/async-decorated/",
    "/mixin/",
    "/mixin-admins/",
    "/drf/",
    "/ninja/either",
]
#: The same, the session tried first.
SESSION_FIRST = ["/decorated/", "/decorated-admins-session-first/"]
ADMIN_ONLY = {
    "/decorated-admins-token-first/",
    "/mixin-admins/",
    "/decorated-admins-session-first/",
}

USERS = {
    "acme member": ("usr_acme_member", "acme"),
    "acme admin": ("usr_acme_admin", "acme"),
    "globex admin": ("usr_globex_admin", "globex"),
}


def session_of(fake: FakeWristband, who: str) -> Client:
    user, tenant = USERS[who]
    client = Client()
    log_in(client, fake, f"tenant_name={tenant}", user=user)
    return client


def token_of(fake: FakeWristband, who: str) -> str:
    """The user's access token, carrying the user's roles as Wristband puts them in one."""
    token: str = session_of(fake, who).get("/auth/token/").json()["accessToken"]
    roles = [{"id": "rol_admin", "name": "app:admin"}] if "admin" in who else []
    return sign(fake, {**claims_of(token), "roles": roles})


def principals_seen(body: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (user id, tenant id) the view saw, from any attribute."""
    seen = {tuple(body[key][:2]) for key in ("session", "token", "user") if body.get(key)}
    return {(str(user), str(tenant)) for user, tenant in seen}


SESSION_USERS = [None, "acme member", "acme admin"]
TOKEN_USERS = [None, "acme member", "acme admin", "globex admin"]


@pytest.mark.parametrize("path", TOKEN_FIRST + SESSION_FIRST)
def test_a_view_sees_one_caller_or_refuses(wristband: FakeWristband, path: str) -> None:
    """Every pair of (whose session, whose token) on one entry point; the sessions and
    tokens are made once per entry point."""
    sessions = {who: session_of(wristband, who) if who else Client() for who in SESSION_USERS}
    tokens = {who: token_of(wristband, who) for who in TOKEN_USERS if who}
    for session_user in SESSION_USERS:
        for token_user in TOKEN_USERS:
            headers = {}
            if token_user:
                headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[token_user]}"
            response = sessions[session_user].get(path, **headers)
            check_one_caller(path, session_user, token_user, response)


def check_one_caller(
    path: str, session_user: str | None, token_user: str | None, response: Any
) -> None:
    """Assert that ``response`` shows one caller, or refuses (see the module)."""
    where = f"{path}: session of {session_user}, token of {token_user}"
    assert response.status_code != 500, where
    if session_user is None and token_user is None:
        assert response.status_code == 401, where
        return
    token_decides = token_user is not None and (path in TOKEN_FIRST or session_user is None)
    decider = token_user if token_decides else session_user
    assert decider is not None
    conflicting = token_decides and session_user is not None and session_user != token_user
    if conflicting:
        assert response.status_code == 401, f"{where}: a token beside another user's session"
        assert response.json().get("error", response.json().get("detail")) is not None, where
        return
    if path in ADMIN_ONLY and decider != "acme admin" and decider != "globex admin":
        assert response.status_code == 403, where
        return
    assert response.status_code == 200, (where, response.content)
    body = response.json()
    expected = (USERS[decider][0], f"tnt_{USERS[decider][1]}")
    assert principals_seen(body) == {expected}, where
    assert body["user"][2] == ("bearer" if token_decides else "session"), where
    if token_decides:
        assert body["session"] is None, where  # request.wristband: None when a token decided
    else:
        assert body["token"] is None, where
    # request.user: the token's caller when a token decided (and DRF's authenticated user
    # either way); otherwise the session's Django user, none here (authenticate_django_user
    # is off).
    django_user = expected[0] if token_decides or path == "/drf/" else None
    assert body["djangoUser"] == django_user, where


@pytest.mark.wristband_settings(authenticate_django_user=True)
def test_request_user_is_the_tokens_caller_not_the_sessions_django_user(
    wristband: FakeWristband,
) -> None:
    """With Django users on, the session's Django user is not left beside another caller."""
    admin = session_of(wristband, "acme admin")
    same = admin.get("/mixin/", HTTP_AUTHORIZATION=f"Bearer {token_of(wristband, 'acme admin')}")
    assert same.status_code == 200
    assert same.json()["djangoUser"] not in (None, "")  # the same person's Django user stays
    other = token_of(wristband, "globex admin")
    alone = Client().get("/mixin/", HTTP_AUTHORIZATION=f"Bearer {other}")
    assert alone.status_code == 200 and alone.json()["djangoUser"] == "usr_globex_admin"
    assert admin.get("/mixin/", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 401
