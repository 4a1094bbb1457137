"""What a test does to a running fake beyond logging in: faults, machine clients, broken ID
tokens, key rotation, revocation, browsers with a Wristband session, and the records of
every request received."""

from __future__ import annotations

import http.client
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .access_tokens import DEFAULT_SCOPE, access_token_claims
from .directory import Directory
from .endpoints import Endpoints
from .fake_browser import FakeBrowser
from .faults import Fault, FaultQueue
from .grants import Grants
from .models import RecordedRequest
from .responses import Response, json_response
from .server import Trickle
from .settings import FakeSettings
from .tokens import IdTokenOverride, KeyRing

RECORDS_PATH = "/_fake/requests"


class FakeControls:
    """The controls and records of `FakeWristband` (which owns the state below)."""

    settings: FakeSettings
    requests: list[RecordedRequest]
    _endpoints: Endpoints
    _faults: FaultQueue
    _grants: Grants
    _directory: Directory
    _keys: KeyRing
    _records_lock: threading.Lock
    _stopping: threading.Event
    _bind: tuple[str, int]
    _own_connection: Callable[[str], http.client.HTTPConnection]

    # --- faults ----------------------------------------------------------------------------

    def inject(self, endpoint: str, **options: Any) -> Fault:
        """Make the next `times` requests to `endpoint` slow, dropped, trickled, held, or
        answered otherwise. The options are ``Fault.build``'s: ``status``, ``body``,
        ``content_type``, ``json``, ``delay``, ``drop``, ``times`` (``None``: until cleared),
        ``grant_type`` (token requests of one grant only), ``trickle`` and ``hold``.

        Faulted requests are recorded but not processed (a code is not consumed), except for a
        fault that only delays, trickles and/or holds, which answers normally afterwards.
        `trickle` (seconds) writes the whole answer (status line, headers, body: the real one,
        or the `status`/`json`/`body` replacement) one byte at a time, spread evenly over that
        time: a server that keeps every per-read timeout happy yet takes that long to answer.
        Stopping the fake cuts a trickle short.

        The returned `Fault` orders events without sleeps: `fault.arrived` (a
        `threading.Event`) is set once a request the fault applies to reaches the fake. With
        `hold=True` such a request waits at the fake until the test calls `fault.release()`,
        then goes on as the rest of the fault says (answered normally if nothing else is
        given); later requests the fault applies to are no longer held. Stopping the fake
        releases held requests unprocessed, their connections closed without an answer::

            fault = fake.inject("token", hold=True, grant_type="refresh_token")
            ...  # start a request that refreshes, in another thread
            assert fault.arrived.wait(5)  # the refresh is at Wristband now
            ...  # do what must happen while it is in flight
            fault.release()  # Wristband answers
        """
        fault = Fault.build(endpoint, **options)
        self._faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        """Forget the faults not used up yet (requests held already stay held)."""
        self._faults.clear()

    # --- machine clients -------------------------------------------------------------------

    def add_machine_client(self, client_id: str, client_secret: str) -> None:
        """Register a machine-to-machine client: the token endpoint then answers its
        ``grant_type=client_credentials`` (HTTP Basic ``client_id:client_secret``) with an
        RS256 access token (``sub`` and ``client_id``: this client id) lasting
        ``access_token_ttl`` seconds, and no refresh or ID token. Unknown credentials get
        401 ``invalid_client``; the application's own client gets 400 ``unauthorized_client``.
        Faults injected on ``"token"`` apply to this grant too."""
        if not client_id or not client_secret:
            raise ValueError("a machine client needs a client id and a secret")
        if client_id == self.settings.client_id:
            raise ValueError("a machine client needs an id of its own, not the application's")
        # Copied, not changed in place: the server's threads read it without a lock.
        self.settings.machine_clients = {**self.settings.machine_clients, client_id: client_secret}

    # --- tokens and keys -------------------------------------------------------------------

    def override_id_token(
        self,
        *,
        claims: Mapping[str, Any] | None = None,
        remove_claims: Iterable[str] = (),
        alg: str = "RS256",
        sign_with: str = "current",
        kid: str | None = None,
    ) -> None:
        """Break ID tokens issued from now on: override/remove claims, `alg="none"` (unsigned)
        or `"HS256"` (keyed with the client secret), `sign_with="foreign"` (a key absent from
        the JWKS, under the current kid), or an arbitrary `kid`. Access tokens are unaffected."""
        self.settings.id_token_override = IdTokenOverride(
            claims=dict(claims or {}),
            remove_claims=frozenset(remove_claims),
            alg=alg,
            sign_with=sign_with,
            kid=kid,
        )

    def reset_id_token(self) -> None:
        self.settings.id_token_override = None

    def sign_access_token(self, claims: Mapping[str, Any]) -> str:
        """Any claims, RS256-signed with the current key: for tests of bearer-token APIs (a
        token the fake never issued, e.g. with another issuer or an expiry in the past)."""
        return self._keys.sign(claims)

    def access_token_for(self, user: str = "admin@acme.test", **claims: Any) -> str:
        """Return an access token for the fake user ``user`` (an email or user id) that passes
        every check an app makes, as the token endpoint issues them (for
        ``access_token_ttl`` seconds, with the default scopes), ``claims`` added or replaced
        (``roles=[{"name": "app:admin"}]``, an ``exp`` in the past...). For tests of
        bearer-token APIs without a login first. KeyError for an unknown user."""
        found = self._directory.find_user(user)
        if found is None:
            raise KeyError(user)
        (tenant,) = [t for t in self._directory.tenants() if t.name == found.tenant]
        issued = access_token_claims(
            self.settings,
            found,
            tenant,
            scope=DEFAULT_SCOPE,
            jti=secrets.token_hex(16),
            now=int(time.time()),
        )
        return self._keys.sign({**issued, **claims})

    def rotate_signing_key(self, *, keep_old: bool = True) -> None:
        """Sign with a new key (new kid); the JWKS keeps the old key too unless `keep_old=False`."""
        self._keys.rotate(keep_old=keep_old)

    def issued_id_tokens(self, user_sub: str | None = None) -> list[str]:
        """The ID tokens the fake issued (to one user), oldest first: the app keeps none
        once validated, so a test looking for one in logs, pages or the store takes it here."""
        return self._grants.id_tokens(user_sub)

    def revoke_all(self, user_sub: str | None = None) -> None:
        """Revoke every token family (of one user), like an admin ending sessions."""
        self._grants.revoke_all(user_sub)

    # --- browsers and their Wristband session ----------------------------------------------

    def new_browser(self) -> FakeBrowser:
        """A browser of its own (`FakeBrowser`): it keeps the fake's session cookie, so
        ``prompt=none`` logs in silently once it has logged in, and ``max_age`` and
        ``prompt=login`` ask its user for credentials again (a new ``auth_time``)."""

        def connect() -> http.client.HTTPConnection:
            wildcard = self._bind[0] in ("", "0.0.0.0")  # noqa: S104 (a comparison)
            return self._own_connection("127.0.0.1" if wildcard else self._bind[0])

        return FakeBrowser(connect)

    def age_browser_sessions(self, seconds: int) -> None:
        """Move every browser's last authentication at the fake ``seconds`` into the past
        (what time would do): ID tokens issued from these sessions carry the older
        ``auth_time``, and a ``max_age`` below their age asks for credentials again."""
        self._grants.age_browser_sessions(seconds)

    # --- records ---------------------------------------------------------------------------

    def calls(self, endpoint: str, **match: str) -> list[RecordedRequest]:
        """Recorded requests to `endpoint` whose form or query fields equal `match`."""
        with self._records_lock:
            records = list(self.requests)
        return [r for r in records if r.endpoint == endpoint and r.matches(**match)]

    def summary(self) -> list[dict[str, str | None]]:
        """What was received, without any value that could be a secret: served as JSON at
        `GET /_fake/requests` so a test in another process (a demo server) can check it."""
        with self._records_lock:
            received = list(self.requests)
        return [
            {
                "endpoint": r.endpoint,
                "method": r.method,
                "path": r.path,
                "host": r.host,
                "grant_type": r.form.get("grant_type"),
            }
            for r in received
        ]

    def reset_records(self) -> None:
        with self._records_lock:
            self.requests.clear()

    # --- serving ---------------------------------------------------------------------------

    def _dispatch(self, request: RecordedRequest) -> Response | Trickle | None:
        if request.path == RECORDS_PATH:
            return json_response(self.summary())
        with self._records_lock:
            self.requests.append(request)
        fault = self._faults.take(request.endpoint, request.form.get("grant_type"))
        if fault is None:
            return self._endpoints.handle(request)
        if fault.hold and not fault.wait_for_release(self._stopping):
            return None  # the fake is stopping: unprocessed, the connection closed
        if fault.delay:
            self._stopping.wait(fault.delay)
        if fault.drop:
            return None
        response = fault.response() or self._endpoints.handle(request)
        if fault.trickle:
            return Trickle(response, fault.trickle, self._stopping)
        return response
