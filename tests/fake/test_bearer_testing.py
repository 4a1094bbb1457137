"""Testing a bearer-token API is one line (issue 25, point 7): the plugin's ``wristband_bearer``
fixture sends a token that passes every check, and a refused token's log line says why
(which claim is missing, which check failed) at WARNING, where a developer sees it without
configuring logging, and never shows the token or a claim's value."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from wristband_django.testing import FakeWristband

pytestmark = pytest.mark.usefixtures("wristband_settings")

Bearer = Callable[..., dict[str, str]]


def test_one_line_sends_a_token_for_a_fake_user(wristband_bearer: Bearer) -> None:
    body = Client().get("/bearer/", **wristband_bearer("member@globex.test")).json()
    assert (body["user"]["userId"], body["user"]["tenantId"]) == (
        "usr_globex_member",
        "tnt_globex",
    )
    assert body["user"]["by"] == "bearer"
    assert Client().get("/bearer/", **wristband_bearer()).json()["user"]["userId"] == (
        "usr_acme_admin"
    )


def test_the_fixture_takes_claims(wristband_bearer: Bearer) -> None:
    member = wristband_bearer("member@acme.test")
    admin = wristband_bearer("member@acme.test", roles=[{"name": "app:admin"}])
    assert Client().get("/admins/", **member).status_code == 403
    assert Client().get("/admins/", **admin).status_code == 200
    assert Client().get("/bearer/", **wristband_bearer(exp=0)).status_code == 401


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "Cannot authenticate" in r.getMessage()]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        # What a test writes first: no iss (checked first), no client_id, no aud...
        (
            lambda fake, now: fake.sign_access_token({"sub": "usr_zq81", "exp": now + 3600}),
            "lacks the required claim 'iss'",
        ),
        (
            lambda fake, now: fake.sign_access_token(
                {"iss": fake.issuer, "sub": "usr_zq81", "exp": now + 3600}
            ),
            "has no client_id",
        ),
        (
            lambda fake, now: fake.sign_access_token({"iss": fake.issuer, "exp": now + 3600}),
            "lacks the required claim 'sub'",
        ),
        (
            lambda fake, now: fake.access_token_for("member@acme.test", exp=now - 3600),
            "has expired",
        ),
        (
            lambda fake, now: fake.access_token_for(
                "member@acme.test", iss="https://elsewhere.zq81.test"
            ),
            "another issuer",
        ),
        (
            lambda fake, now: fake.access_token_for("member@acme.test", aud=["client-zq81"]),
            "another audience",
        ),
        (
            lambda fake, now: fake.access_token_for("member@acme.test", iat=now + 3600),
            "not valid yet",
        ),
    ],
    ids=["no-iss", "no-client_id", "no-sub", "expired", "issuer", "audience", "future-iat"],
)
def test_a_refused_token_is_logged_with_its_reason_and_nothing_of_it(
    fake_wristband: FakeWristband,
    caplog: pytest.LogCaptureFixture,
    make: Callable[[FakeWristband, int], str],
    reason: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    now = int(time.time())
    token = make(fake_wristband, now)
    response = Client().get("/bearer/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    (record,) = refusals(caplog)
    assert record.levelno == logging.WARNING
    assert reason in record.getMessage()
    logged = caplog.text
    # The token, its parts and the claims' values never reach the log; claim names may.
    for secret in (token, *token.split("."), "usr_zq81", "zq81", str(now + 3600)):
        assert secret not in logged


def test_an_outage_is_still_an_error_and_a_good_token_logs_no_refusal(
    fake_wristband: FakeWristband, wristband_bearer: Bearer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert Client().get("/bearer/", **wristband_bearer()).status_code == 200
    assert refusals(caplog) == []
    fake_wristband.rotate_signing_key(keep_old=False)  # an unknown kid: the JWKS is re-fetched
    fake_wristband.inject("jwks", status=503, times=None)
    headers: dict[str, Any] = wristband_bearer()
    assert Client().get("/bearer/", **headers).status_code == 503
    assert [r.levelno for r in refusals(caplog)] == [logging.ERROR]
