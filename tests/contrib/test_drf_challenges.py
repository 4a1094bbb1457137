"""DRF's 401 challenges: a request whose bearer token is refused gets RFC 6750's ``Bearer
error="invalid_token"`` whichever of our two authentication classes comes first (DRF asks
only the first one for the header); a request without credentials keeps the first class's
challenge."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.support.auth_helpers import log_in
from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.urls("tests.contrib.drf_challenge_urls")

INVALID_TOKEN = 'Bearer error="invalid_token"'
#: The view's path, and its challenge to a request without credentials (its first class's).
ORDERS = {
    "session-first": ("/session-first/", 'Session realm="api"'),
    "bearer-first": ("/bearer-first/", 'Bearer realm="api"'),
}


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def logged_in(fake: FakeWristband) -> APIClient:
    client = APIClient()
    log_in(client, fake)
    return client


#: Each caller, and the answer it gets: status, challenge (``None``: the order's own) and
#: what authenticated it.
CALLERS: dict[str, tuple[Callable[[FakeWristband], APIClient], int, str | None, str | None]] = {
    "no credentials": (lambda fake: APIClient(), 401, None, None),
    "bad bearer": (lambda fake: with_token("not-a-jwt"), 401, INVALID_TOKEN, None),
    "forged bearer": (
        lambda fake: with_token(fake.access_token_for()[:-6] + "AAAAAA"),
        401,
        INVALID_TOKEN,
        None,
    ),
    "expired bearer": (
        lambda fake: with_token(fake.access_token_for(exp=int(time.time()) - 3600)),
        401,
        INVALID_TOKEN,
        None,
    ),
    "valid bearer": (
        lambda fake: with_token(fake.access_token_for()),
        200,
        None,
        "AccessTokenClaims",
    ),
    "session": (logged_in, 200, None, "WristbandSession"),
}


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("order", list(ORDERS))
def test_the_challenge_follows_the_credential_not_the_order(
    wristband: FakeWristband, order: str, caller: str
) -> None:
    path, own_challenge = ORDERS[order]
    make_client, status, challenge, auth_type = CALLERS[caller]
    response = make_client(wristband).get(path)
    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"] == (challenge or own_challenge)
        assert response.json() == {
            "detail": "The access token is invalid or expired."
            if challenge
            else "Authentication credentials were not provided."
        }
    else:
        assert "WWW-Authenticate" not in response
        assert response.json()["authType"] == auth_type


def test_a_refusal_is_not_remembered_beyond_its_request(wristband: FakeWristband) -> None:
    client = with_token("not-a-jwt")
    assert client.get("/session-first/")["WWW-Authenticate"] == INVALID_TOKEN
    client.credentials()  # the same client, no token now
    assert client.get("/session-first/")["WWW-Authenticate"] == 'Session realm="api"'


def test_a_view_without_the_bearer_class_keeps_its_challenge(wristband: FakeWristband) -> None:
    # The token is not looked at here, so it is not refused: the view takes sessions only.
    response = with_token(wristband.access_token_for()).get("/session-only/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Session realm="api"'
