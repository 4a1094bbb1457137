"""How the outbound tests call the downstream API, and what they count at the fake."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from django.conf import settings
from django.test import Client

from wristband_django.contrib.outbound.httpx_auth import WristbandHttpxAuth
from wristband_django.contrib.outbound.requests_auth import WristbandRequestsAuth, api_session
from wristband_django.contrib.outbound.tokens import TokenSource
from wristband_django.testing import FakeWristband

MACHINE_ID, MACHINE_SECRET = "reports-client", "reports-secret-0123456789abcdef"
#: The three ways of calling: ``requests``, ``httpx.Client`` and ``httpx.AsyncClient``.
LIBRARIES = ["requests", "httpx", "async-httpx"]


def call(library: str, source: TokenSource, url: str, **options: Any) -> int:
    """Call ``url`` once with an auth of ``library`` on ``source``; return the status."""
    if library == "requests":
        return api_session(WristbandRequestsAuth(source)).get(url, **options).status_code
    if library == "httpx":
        with httpx.Client(auth=WristbandHttpxAuth(source)) as client:
            return client.get(url, **options).status_code

    async def async_call() -> int:
        async with httpx.AsyncClient(auth=WristbandHttpxAuth(source)) as client:
            return (await client.get(url, **options)).status_code

    assert library == "async-httpx"
    return asyncio.run(async_call())


def session_key(client: Client) -> str:
    """The session key of ``client``'s session (what a view hands a background job)."""
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def refreshes(fake: FakeWristband) -> int:
    return len(fake.calls("token", grant_type="refresh_token"))


def machine_tokens(fake: FakeWristband) -> int:
    return len(fake.calls("token", grant_type="client_credentials"))
