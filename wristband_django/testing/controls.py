"""What a test does to a running fake beyond logging in: faults, machine clients, broken ID
tokens, key rotation, revocation, browsers with a Wristband session, and the records of
every request received."""

from __future__ import annotations

import http.client
import secrets
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

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
    _tls: ssl.SSLContext | None

    if TYPE_CHECKING:  # FakeWristband's

        @property
        def port(self) -> int: ...

    # --- faults ----------------------------------------------------------------------------

    def inject(self, endpoint: str, **options: Any) -> Fault:
        """Make the next `times` requests to `endpoint` misbehave, and return the `Fault`.

        A fault slows, drops, trickles or holds a request, or answers it otherwise. The
        options are ``Fault.build``'s: ``status``, ``body``, ``content_type``, ``json``,
        ``delay``, ``drop``, ``times`` (``None`` for every request until the faults are
        cleared), ``grant_type`` (token requests of that grant only), ``trickle`` and ``hold``.

        A faulted request is recorded but not processed (a code is not consumed), unless the
        fault only delays, trickles or holds it: such a request is answered normally after.
        With `trickle` (seconds), the whole answer (status line, headers and body, the real
        one or the `status`/`json`/`body` replacement) is written one byte at a time, spread
        evenly over that time. The fake then plays a server that keeps every per-read timeout
        happy yet takes that long to answer. Stopping the fake cuts a trickle short.

        The returned `Fault` lets a test order events without sleeping. Its `arrived` event (a
        `threading.Event`) is set once a request the fault applies to reaches the fake. With
        `hold=True`, such a request waits at the fake until the test calls `fault.release()`,
        then goes on as the rest of the fault says (it is answered normally if nothing else is
        given); later requests the fault applies to are no longer held. Stopping the fake
        releases held requests unprocessed and closes their connections without an answer::

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
        """Register a machine-to-machine client, which can then get tokens of its own.

        The token endpoint answers the client's ``grant_type=client_credentials`` requests
        (HTTP Basic ``client_id:client_secret``) with an RS256 access token whose ``sub`` and
        ``client_id`` are this client id, lasting ``access_token_ttl`` seconds, and with no
        refresh or ID token. Unknown credentials get 401 ``invalid_client``, and the
        application's own client gets 400 ``unauthorized_client``. Faults injected on
        ``"token"`` apply to this grant too. Raise ``ValueError`` for an empty id or secret,
        or for the application's own client id.
        """
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
        """Break the ID tokens issued from now on; `reset_id_token()` undoes it.

        `claims` overrides claims and `remove_claims` removes them. `alg="none"` leaves the
        token unsigned, and `alg="HS256"` signs it keyed with the client secret.
        `sign_with="foreign"` signs it with a key absent from the JWKS, under the current kid,
        and `kid` sets an arbitrary kid. Access tokens are unaffected.
        """
        self.settings.id_token_override = IdTokenOverride(
            claims=dict(claims or {}),
            remove_claims=frozenset(remove_claims),
            alg=alg,
            sign_with=sign_with,
            kid=kid,
        )

    def reset_id_token(self) -> None:
        """Issue valid ID tokens again, undoing `override_id_token()`."""
        self.settings.id_token_override = None

    def sign_access_token(self, claims: Mapping[str, Any]) -> str:
        """Return ``claims``, whatever they are, as an access token signed with the current key.

        The low-level one: it adds nothing and checks nothing, so ``{"sub": ..., "exp": ...}``
        gives a token every app refuses (no ``iss``, no ``client_id``). For a token that
        passes, use `access_token_for`; use this one for a token the fake would never issue
        (another issuer, a claim missing). The signature is RS256.
        """
        return self._keys.sign(claims)

    def access_token_for(self, user: str = "admin@acme.test", **claims: Any) -> str:
        """Return an access token for the fake user ``user`` that passes every check an app makes.

        The way to test bearer-token APIs without logging in first (the pytest plugin's
        ``wristband_bearer`` fixture wraps it for Django's test client). ``user`` is an email
        or a user id. The token is one the token endpoint would issue (``iss``, ``sub``,
        ``aud``, ``client_id``, ``tnt_id``, ``app_id``, ``jti``, valid for
        ``access_token_ttl`` seconds, ``scope`` the app's default scopes), with ``claims``
        added or replaced, e.g. ``roles=[{"name": "app:admin"}]`` or an ``exp`` in the past.
        Raise ``KeyError`` for an unknown user.
        """
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
        """Sign new tokens with a new key (a new kid).

        The JWKS keeps publishing the old key too, unless `keep_old=False`.
        """
        self._keys.rotate(keep_old=keep_old)

    def issued_id_tokens(self, user_sub: str | None = None) -> list[str]:
        """Return the ID tokens the fake issued (to ``user_sub`` only, if given), oldest first.

        The app keeps no ID token once it has validated it, so a test looking for one in
        logs, pages or the store takes it from here.
        """
        return self._grants.id_tokens(user_sub)

    def revoke_all(self, user_sub: str | None = None) -> None:
        """Revoke every token family (of ``user_sub`` only, if given), as an admin ending
        sessions would."""
        self._grants.revoke_all(user_sub)

    # --- browsers and their Wristband session ----------------------------------------------

    def new_browser(self) -> FakeBrowser:
        """Return a new browser (`FakeBrowser`) that keeps its own Wristband session.

        The browser keeps the fake's session cookie. Once it has logged in, ``prompt=none``
        logs it in silently, while ``max_age`` and ``prompt=login`` ask its user for
        credentials again (which gives a new ``auth_time``).
        """

        def connect() -> http.client.HTTPConnection:
            wildcard = self._bind[0] in ("", "0.0.0.0")  # noqa: S104 (a comparison)
            return self._own_connection("127.0.0.1" if wildcard else self._bind[0])

        return FakeBrowser(connect)

    def age_browser_sessions(self, seconds: int) -> None:
        """Move every browser's last authentication at the fake ``seconds`` into the past.

        This does what time would do: ID tokens issued from these sessions carry the older
        ``auth_time``, and a ``max_age`` below their age asks for credentials again.
        """
        self._grants.age_browser_sessions(seconds)

    # --- records ---------------------------------------------------------------------------

    def calls(self, endpoint: str, **match: str) -> list[RecordedRequest]:
        """Return the recorded requests to `endpoint` whose form or query fields equal `match`."""
        with self._records_lock:
            records = list(self.requests)
        return [r for r in records if r.endpoint == endpoint and r.matches(**match)]

    def summary(self) -> list[dict[str, str | None]]:
        """Return what the fake received, leaving out every value that could be a secret.

        The fake serves this as JSON at `GET /_fake/requests`, so that a test in another
        process (a demo server) can check it.
        """
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
        """Forget every recorded request."""
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

    def _own_connection(self, host: str) -> http.client.HTTPConnection:
        """Return a connection to this fake's own socket, for playing the browser."""
        if self._tls is None:
            return http.client.HTTPConnection(host, self.port, timeout=10)
        # The fake talking to itself over loopback: no trust decision to make, so the
        # certificate (which the app under test must verify) is not checked here.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(host, self.port, timeout=10, context=context)
