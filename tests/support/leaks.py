"""Collect every secret a flow produced, and find any of them where it must not be."""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import SimpleCookie

from django.conf import settings
from django.test import Client

from tests.support.auth_helpers import stored_entry
from wristband_django.testing import FakeWristband

SECRET_FORM_FIELDS = ("code", "code_verifier", "refresh_token", "token")


def secrets_seen(fake: FakeWristband, clients: Iterable[Client] = ()) -> set[str]:
    """Client secret, codes, verifiers, every token sent to the fake, and the clients' tokens
    and cookie values (session id, login state)."""
    found = {fake.client_secret}
    for request in fake.requests:
        found.update(request.form[name] for name in SECRET_FORM_FIELDS if request.form.get(name))
        authorization = request.headers.get("authorization", "")
        if authorization.startswith("Bearer "):
            found.add(authorization.removeprefix("Bearer "))
    for client in clients:
        found.update(tokens_of(client, fake))
        cookies: SimpleCookie = client.cookies
        found.update(
            morsel.value
            for name, morsel in cookies.items()
            if morsel.value and (name == settings.SESSION_COOKIE_NAME or name.startswith("login#"))
        )
    return {value for value in found if len(value) >= 8}


def tokens_of(client: Client, fake: FakeWristband | None = None) -> set[str]:
    """The tokens the client's session holds in the store now, and the ID tokens ``fake``
    issued (the app keeps none once validated)."""
    entry = stored_entry(client)
    held = set() if entry is None else {entry.access_token, entry.refresh_token}
    issued = set(fake.issued_id_tokens()) if fake is not None else set()
    return {token for token in held | issued if token}


def leaked(text: str, secrets: Iterable[str]) -> list[str]:
    """The secrets that appear in ``text`` (shortened, so a failure message leaks nothing)."""
    return [f"{secret[:6]}…" for secret in secrets if secret in text]
