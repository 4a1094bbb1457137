"""Nothing the app records for OpenTelemetry holds a secret.

One run through the real views against the fake Wristband, recorded by OpenTelemetry's SDK
in memory: logins, a refresh, a refresh through a Wristband outage (the session kept, after
a retry), a refresh Wristband refuses (the session ended), a logout, a session store that
does not answer, and a login while Wristband's signing keys cannot be fetched. Every span
(name, attributes, events, links, status) and every metric (names, point attributes) is
then searched for each secret value the run used: the tokens, the codes, the client
secret, the email, the session keys, the login-state cookies, the state and the nonce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.support.auth_helpers import expire_access_token, login_cookies, query_of, stored_entry
from tests.telemetry.recording import Recording
from wristband_django.telemetry import names
from wristband_django.testing import FakeWristband

SESSION_COOKIE = django_settings.SESSION_COOKIE_NAME
EMAIL = "admin@acme.test"
CALLS = names.CALLS.values()

pytestmark = pytest.mark.wristband_settings(
    protected_paths=["/api/"], keep_session_when_wristband_unavailable=True, refresh_max_attempts=2
)


@dataclass
class Secrets:
    """The secret values a run used, each with what it is."""

    values: dict[str, str] = field(default_factory=dict)

    def add(self, what: str, value: str | None) -> None:
        if value:
            self.values[f"{what} #{len(self.values)}"] = value

    def add_session(self, client: Client) -> None:
        """Add the client's session key and the tokens its session holds now."""
        self.add("session key", client.cookies[SESSION_COOKIE].value)
        entry = stored_entry(client)
        assert entry is not None
        self.add("access token", entry.access_token)
        self.add("refresh token", entry.refresh_token)

    def first(self, kind: str) -> str:
        """Return the first value of this kind (``code``, ``access token``...)."""
        return next(value for what, value in self.values.items() if what.split(" #")[0] == kind)

    def found_in(self, text: str) -> list[str]:
        """Return what each secret found in ``text`` is."""
        return [what for what, value in self.values.items() if value in text]


def log_in(client: Client, fake: FakeWristband, secrets: Secrets) -> int:
    """Log ``client`` in through the real views, noting every secret of the login; return
    the callback's status."""
    started = client.get("/auth/login/?tenant_name=acme")
    assert started.status_code == 302
    authorize = started["Location"]
    query = query_of(authorize)
    for name in ("state", "nonce", "code_challenge"):
        secrets.add(name, query.get(name))
    for morsel in login_cookies(started).values():
        secrets.add("login-state cookie", morsel.value)
    callback = urlsplit(fake.authorize(authorize, EMAIL))
    secrets.add("code", query_of(f"?{callback.query}").get("code"))
    return client.get(f"{callback.path}?{callback.query}").status_code


def run_everything(fake: FakeWristband, down: dict[str, Any]) -> Secrets:
    """Log in, refresh, refresh through an outage, fail a refresh, log out, lose the store,
    and log in while the signing keys cannot be had; return the secrets used."""
    secrets = Secrets()
    secrets.add("client secret", django_settings.WRISTBAND_AUTH["client_secret"])
    secrets.add("email", EMAIL)

    refreshed = Client()  # a login, then a refresh, then a refresh through an outage
    assert log_in(refreshed, fake, secrets) == 302
    secrets.add_session(refreshed)
    expire_access_token(refreshed)
    assert refreshed.get("/api/whoami/").status_code == 200
    secrets.add_session(refreshed)
    expire_access_token(refreshed)
    fake.inject("token", status=503, times=None, grant_type="refresh_token")
    assert refreshed.get("/api/whoami/").status_code == 503  # kept, after a retry
    fake.clear_faults()

    refused = Client()  # a refresh Wristband refuses: the session ends
    assert log_in(refused, fake, secrets) == 302
    secrets.add_session(refused)
    expire_access_token(refused)
    fake.inject("token", status=400, json={"error": "invalid_grant"}, grant_type="refresh_token")
    assert refused.get("/api/whoami/").status_code == 401

    leaving = Client()  # a logout
    assert log_in(leaving, fake, secrets) == 302
    secrets.add_session(leaving)
    assert leaving.post("/auth/logout/").status_code == 302

    stranded = Client()  # the session store stops answering
    assert log_in(stranded, fake, secrets) == 302
    secrets.add_session(stranded)
    down["down"] = True
    assert stranded.get("/api/whoami/").status_code == 503
    down["down"] = False

    fake.rotate_signing_key(keep_old=False)  # new ID tokens name a key to fetch...
    fake.inject("jwks", status=503, times=None)  # ...which cannot be had
    assert log_in(Client(), fake, secrets) == 503
    fake.clear_faults()

    for id_token in fake.issued_id_tokens():
        secrets.add("ID token", id_token)
    return secrets


def test_a_full_run_records_no_token_code_secret_email_state_or_session_key(
    recording: Recording, wristband: FakeWristband, unreachable_store: dict[str, Any]
) -> None:
    secrets = run_everything(wristband, unreachable_store)
    everything = recording.everything()
    assert len(secrets.values) >= 30  # 5 logins' worth, each of its kinds
    assert secrets.found_in(everything) == []
    # The search sees what was recorded: the run's spans and metrics are all there.
    assert len(recording.spans()) >= 20
    for name in ("wristband.login", "wristband.callback", "wristband.refresh", "wristband.logout"):
        assert f'"name": "{name}"' in everything, name
    for metric in ("wristband.logins", "wristband.refreshes", "wristband.store.outages"):
        assert f'"name": "{metric}"' in everything, metric
    # ...and nothing but the documented names: each attribute key is one of the page's.
    assert recording.attribute_keys() <= set(names.ATTRIBUTES)
    client_spans = {f"{method} {template}" for method in ("GET", "POST") for _, template in CALLS}
    assert {span.name for span in recording.spans()} <= {*names.SPANS, *client_spans}


def test_the_search_finds_a_secret_where_one_was_recorded(
    recording: Recording, wristband: FakeWristband
) -> None:
    """The search itself works: a secret put in an attribute, a span name and a metric
    label by a careless instrumentation is found."""
    from opentelemetry import metrics, trace

    secrets = Secrets()
    client = Client()
    assert log_in(client, wristband, secrets) == 302
    secrets.add_session(client)
    code, token, key = (secrets.first(what) for what in ("code", "access token", "session key"))
    with trace.get_tracer("careless").start_as_current_span(f"callback {code}") as span:
        span.set_attribute("token", token)
    metrics.get_meter("careless").create_counter("logins").add(1, {"session": key})
    found = secrets.found_in(recording.everything())
    assert {what.split(" #")[0] for what in found} == {"code", "access token", "session key"}
