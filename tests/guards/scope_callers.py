"""The three kinds of caller a scope check judges, each with or without the scopes
``tests.guards.scope_urls`` requires (``email`` and ``roles``), all from the fake Wristband:

- a session: a login whose ``scopes`` setting asks for ``roles`` (the fake grants what a
  login asks for) or the default scopes (no ``roles``);
- a person's bearer token: ``access_token_for(scope=...)``;
- a machine's bearer token: the fake's ``client_credentials`` answer (no ``scope`` claim),
  or that token with a ``scope`` claim added, signed by the fake.
"""

from __future__ import annotations

from typing import Any

import requests
from django.test import Client

from tests.support.auth_helpers import log_in
from tests.support.hostile_tokens import claims_of
from wristband_django.testing import FakeWristband

#: The app's default scopes, and the same with the ``roles`` scope the views also need.
DEFAULT_SCOPES = ["openid", "offline_access", "email"]
WITH_ROLES = [*DEFAULT_SCOPES, "roles"]
MACHINE_ID, MACHINE_SECRET = "m2m-reports", "m2m-reports-secret-0123456789"
KINDS = ["session", "bearer", "machine"]
#: What every refused caller is told: the scopes the views require.
REQUIRED = "email roles"


def machine_token(fake: FakeWristband, scope: str | None) -> str:
    """Return a machine client's token from the fake's ``client_credentials`` grant, with a
    ``scope`` claim when ``scope`` is given (the fake's grant issues none)."""
    fake.add_machine_client(MACHINE_ID, MACHINE_SECRET)
    answer = requests.post(
        f"{fake.base_url}/api/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(MACHINE_ID, MACHINE_SECRET),
        timeout=5,
    )
    token: str = answer.json()["access_token"]
    if scope is None:
        return token
    return fake.sign_access_token({**claims_of(token), "scope": scope})


def caller(
    kind: str,
    granted: bool,
    fake: FakeWristband,
    wristband_settings: dict[str, Any],
    settings: Any,
    client_class: type[Client] = Client,
) -> tuple[Client, dict[str, str]]:
    """Return a client and the headers to send: a caller of ``kind`` that was granted the
    required scopes (``granted``) or lacks ``roles`` (a machine: lacks them all)."""
    if kind == "session":
        settings.WRISTBAND_AUTH = {
            **wristband_settings,
            "scopes": WITH_ROLES if granted else DEFAULT_SCOPES,
        }
        client = client_class()
        assert log_in(client, fake, user="admin@acme.test").status_code == 302
        return client, {}
    if kind == "bearer":
        scope = " ".join(WITH_ROLES if granted else DEFAULT_SCOPES)
        token = fake.access_token_for("admin@acme.test", scope=scope)
    else:
        token = machine_token(fake, "email roles reports:read" if granted else None)
    return client_class(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def missing_description(kind: str) -> str:
    """Return what a caller of ``kind`` without the scopes is told it lacks."""
    if kind == "machine":
        return "You lack the scopes this needs: email roles."
    return "You lack the scope this needs: roles."
