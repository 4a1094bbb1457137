"""A wrong client secret (of a valid length) passes every setting check, then every login
ends on ``invalid_client``: the Callback's log line says which settings to check (issue 25,
point 4a)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

from tests.support.auth_helpers import log_in
from wristband_django.testing import FakeWristband

WRONG_SECRET = "a-wrong-secret-of-32-characters!"


def test_invalid_client_at_the_code_exchange_says_to_check_the_credentials(
    wristband: FakeWristband, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.WRISTBAND_AUTH = {**settings.WRISTBAND_AUTH, "client_secret": WRONG_SECRET}
    with caplog.at_level(logging.INFO, logger="wristband_django"):
        response = log_in(Client(), wristband)
    assert response.status_code == 400  # the error page, as for any refused exchange
    assert b"invalid_client" in response.content
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Login could")]
    assert line == (
        "Login could not be completed: invalid_client (Wristband refused this app's "
        "credentials: check client_id/client_secret)"
    )
    assert WRONG_SECRET not in caplog.text and wristband.client_secret not in caplog.text


def test_other_exchange_failures_do_not_blame_the_credentials(
    wristband: FakeWristband, caplog: pytest.LogCaptureFixture
) -> None:
    wristband.inject("token", status=400, json={"error": "invalid_request"})
    with caplog.at_level(logging.INFO, logger="wristband_django"):
        log_in(Client(), wristband)
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Login could")]
    assert line == "Login could not be completed: invalid_request"
