"""The soak's traffic (j, ``bench/soak.py``): the request kinds, each with its expected answer,
and the recorder that counts them by kind and minute.

The site runs in subdomain mode: each tenant's pages are on ``<tenant>.app.test`` (the
root domain ``ROOT_DOMAIN``), and its login and callback too. Every request goes to
127.0.0.1, and names its host in the ``Host`` header: a tenant's host for logins, sessions,
logouts, bearer requests and custom-domain logins, a random subdomain for bearer requests on
a host that names no tenant the site knows, 127.0.0.1 itself (a host that names no tenant)
for machine tokens and the caches report. Login requests naming a custom domain can come
from other loopback source addresses (``127.a.b.c``, which Linux lets a socket bind): the
package keeps a domain-check budget per client address (``REMOTE_ADDR``, the peer's address
under gunicorn), and a real deployment's checks come from many. No token, code, secret or
cookie value is ever printed: an unexpected answer is recorded as its kind, status and a
short reason.
"""

from __future__ import annotations

import http.client
import random
import secrets
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from wristband_django.testing import FakeTenant, FakeUser, FakeWristband

LOGIN = "login"
SESSION = "session"
BEARER = "bearer"
NEW_BEARER = "bearer, new token"
UNKNOWN_HOST = "bearer, unknown tenant host"
LOGOUT = "logout"
CUSTOM_DOMAIN = "custom domain"
RANDOM_DOMAIN = "random domain"
MACHINE = "machine token"
#: The soak's mix: the share of each kind among the operations the clients start.
MIX = {
    SESSION: 35,
    BEARER: 25,
    NEW_BEARER: 4,
    UNKNOWN_HOST: 3,
    LOGIN: 6,
    LOGOUT: 3,
    CUSTOM_DOMAIN: 7,
    RANDOM_DOMAIN: 7,
    MACHINE: 10,
}
KINDS = tuple(MIX)
TIMEOUT_S = 30
#: Loopback source addresses the custom-domain logins may come from (``source_address``).
ADDRESSES = 4096
#: The root domain of the tenants' hosts (subdomain mode: ``<tenant>.app.test``); ``.test``
#: is reserved (RFC 2606), and no name is resolved: every request goes to 127.0.0.1.
ROOT_DOMAIN = "app.test"


def tenant_name(index: int) -> str:
    return f"soak{index:04d}"


def custom_domain(index: int) -> str:
    return f"login.{tenant_name(index)}.example.test"


def unknown_label() -> str:
    """A subdomain label that is no tenant's name (``x`` and 12 random hex digits)."""
    return f"x{secrets.token_hex(6)}"


def tenants_and_users(count: int) -> tuple[list[FakeTenant], list[FakeUser]]:
    """``count`` tenants, each with a custom domain and one user."""
    tenants = [FakeTenant(tenant_name(i), custom_domain=custom_domain(i)) for i in range(count)]
    users = [FakeUser(f"usr_{t.name}", t.name, f"user@{t.name}.test") for t in tenants]
    return tenants, users


def source_address(index: int) -> str:
    """Return loopback address ``index`` of ``ADDRESSES``: ``127.1.0.0`` onwards, never
    ``127.0.0.1`` (the runner's other requests) nor a ``.255`` broadcast-looking one."""
    high, low = divmod(index % ADDRESSES, 255)
    top, middle = divmod(high, 256)
    return f"127.{1 + top}.{middle}.{low}"


def bearer_client(index: int) -> str:
    return f"soak-api-{index:02d}"


class UnexpectedAnswer(Exception):
    """An answer other than the kind's expected one; the message names no secret."""


@dataclass
class Bucket:
    """What the clients did in one interval: latencies (ms) and errors, by kind."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return sum(len(ms) for ms in self.latencies.values()) + sum(self.errors.values())

    def all_latencies(self) -> list[float]:
        return [ms for values in self.latencies.values() for ms in values]

    def add(self, other: Bucket) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.errors.update(other.errors)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (0 when there are none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


class Recorder:
    """Counts the operations as they end; ``swap()`` hands over the interval's bucket."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bucket = Bucket()
        self.samples: dict[str, list[str]] = {}  # a few reasons per kind, for the log

    def ok(self, kind: str, ms: float) -> None:
        with self.lock:
            self.bucket.latencies.setdefault(kind, []).append(ms)

    def error(self, kind: str, why: str) -> None:
        with self.lock:
            self.bucket.errors[kind] += 1
            seen = self.samples.setdefault(kind, [])
            if len(seen) < 5:
                seen.append(why)

    def swap(self) -> Bucket:
        with self.lock:
            bucket, self.bucket = self.bucket, Bucket()
        return bucket


@dataclass
class LiveSession:
    """A session cookie, its user, and the tenant host (``name.root:port``) it belongs to."""

    cookie: str = field(repr=False)
    user_id: str
    host: str


@dataclass(frozen=True)
class BearerToken:
    """A bearer token in the runner's pool, its user and client id, and its tenant's name."""

    token: str = field(repr=False)
    user_id: str
    client_id: str
    tenant: str


class Traffic:
    """The runner's side of the soak: the live sessions, the bearer tokens, and one method
    per request kind, each checking its expected answer."""

    def __init__(
        self,
        fake: FakeWristband,
        base: str,
        tenants: int,
        bearer_clients: int,
        machine_clients: int,
        token_lifetime: int,
        recorder: Recorder,
    ) -> None:
        self.fake, self.base, self.tenants = fake, base, tenants
        self.bearer_clients, self.machine_clients = bearer_clients, machine_clients
        self.token_lifetime = token_lifetime
        self.recorder = recorder
        self.lock = threading.Lock()
        self.sessions: list[LiveSession] = []
        self.session_cap = 0  # 0: no cap (warm-up); then the pool's size after warm-up
        self.tokens: list[BearerToken] = []
        self.local = threading.local()
        self.next_login = 0
        self.next_address = 0
        self.fresh_connections = False
        address = urlsplit(base)
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80

    def tenant_host(self, label: str) -> str:
        """The ``Host`` of the site's pages for the subdomain ``label``: ``label.root:port``."""
        return f"{label}.{ROOT_DOMAIN}:{self.port}"

    # --- shared state -----------------------------------------------------------------------

    def http(self) -> requests.Session:
        """This thread's HTTP client, without cookies of its own between uses: keep-alive,
        or a new connection for each use while ``fresh_connections`` is set (the warm-up's
        filling, so that either worker may accept each request)."""
        session = getattr(self.local, "http", None)
        if session is None:
            session = self.local.http = requests.Session()
        elif self.fresh_connections:
            session.close()  # its next request opens a new connection
        session.cookies.clear()
        return session

    def address(self) -> str:
        """The next of the ``ADDRESSES`` loopback source addresses, in turn."""
        with self.lock:
            index, self.next_address = self.next_address, self.next_address + 1
        return source_address(index)

    def take_session(self) -> LiveSession | None:
        """A live session no other client uses meanwhile (``give_back`` returns it)."""
        with self.lock:
            if not self.sessions:
                return None
            index = random.randrange(len(self.sessions))  # noqa: S311
            self.sessions[index], self.sessions[-1] = self.sessions[-1], self.sessions[index]
            return self.sessions.pop()

    def give_back(self, live: LiveSession) -> None:
        with self.lock:
            self.sessions.append(live)
            if self.session_cap and len(self.sessions) > self.session_cap:
                self.sessions.pop(random.randrange(len(self.sessions)))  # noqa: S311  # abandoned

    def mint_token(self) -> BearerToken:
        """A new bearer token of a random tenant's user and one of the bearer clients."""
        tenant = tenant_name(random.randrange(self.tenants))  # noqa: S311
        user = f"usr_{tenant}"
        client_id = bearer_client(random.randrange(self.bearer_clients))  # noqa: S311
        exp = int(time.time()) + self.token_lifetime
        token = self.fake.access_token_for(user, client_id=client_id, exp=exp)
        return BearerToken(token, user, client_id, tenant)

    def pooled_token(self) -> BearerToken | None:
        with self.lock:
            return random.choice(self.tokens) if self.tokens else None  # noqa: S311

    # --- one operation ------------------------------------------------------------------------

    def run(self, kind: str, argument: object = None) -> None:
        """Run one operation of ``kind``; record its latency, or the error."""
        operations: dict[str, Callable[[object], float | None]] = {
            LOGIN: self.login,
            SESSION: self.session,
            BEARER: self.bearer,
            NEW_BEARER: self.new_bearer,
            UNKNOWN_HOST: self.unknown_host,
            LOGOUT: self.logout,
            CUSTOM_DOMAIN: self.custom_domain,
            RANDOM_DOMAIN: self.random_domain,
            MACHINE: self.machine,
        }
        try:
            ms = operations[kind](argument)
        except UnexpectedAnswer as exc:
            self.recorder.error(kind, str(exc))
        except requests.RequestException as exc:
            self.recorder.error(kind, type(exc).__name__)
        else:
            if ms is not None:
                self.recorder.ok(kind, ms)

    def _get(
        self,
        http: requests.Session,
        path: str,
        host: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: object,
    ) -> tuple[requests.Response, float]:
        """GET ``path`` from the server at 127.0.0.1, with ``host`` (``name:port``) as the
        ``Host`` header (else 127.0.0.1's own)."""
        headers = {**(headers or {}), **({"Host": host} if host else {})}
        started = time.perf_counter()
        response = http.get(
            f"{self.base}{path}",
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT_S,
            **kwargs,  # type: ignore[arg-type]
        )
        return response, (time.perf_counter() - started) * 1000

    def _get_from(self, source: str, path: str, host: str) -> tuple[int, str, float]:
        """GET ``path`` with the ``Host`` ``host`` on a new connection from the loopback
        address ``source``; return the status, the ``Location`` header and the milliseconds
        (the connection included)."""
        started = time.perf_counter()
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=TIMEOUT_S, source_address=(source, 0)
        )
        try:
            connection.request("GET", path, headers={"Host": host, "Connection": "close"})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise UnexpectedAnswer(f"{type(exc).__name__} from {source}") from exc
        finally:
            connection.close()
        location = response.getheader("Location", "")
        return response.status, location, (time.perf_counter() - started) * 1000

    def _domain_login(self, tenant: str, domain: str, source: str | None) -> tuple[int, str, float]:
        """The Login endpoint on the host of ``tenant`` with ``tenant_custom_domain=domain``
        (in subdomain mode, a custom domain counts on a tenant's host: on a host naming no
        tenant the login has no name to build its callback URL on, and goes to tenant
        discovery): on this thread's keep-alive connection, or on a new one from the
        loopback address ``source``."""
        path, host = f"/auth/login/?tenant_custom_domain={domain}", self.tenant_host(tenant)
        if source is not None:
            return self._get_from(source, path, host)
        answer, ms = self._get(self.http(), path, host)
        return answer.status_code, answer.headers.get("Location", ""), ms

    def wristband_host(self, tenant: str) -> str | None:
        """The Wristband host of ``tenant`` at the fake, without the port."""
        return urlsplit(f"//{self.fake.tenant_host(tenant)}").hostname

    def login(self, argument: object = None) -> float:
        """Login endpoint on the tenant's host (302 to its Wristband host) → the fake's
        authorize (a browser, not timed; it sends the browser to the callback on the tenant's
        host) → Callback endpoint (302 and a session cookie)."""
        if isinstance(argument, int):
            index = argument
        else:
            with self.lock:
                index, self.next_login = self.next_login % self.tenants, self.next_login + 1
        name = tenant_name(index)
        host = self.tenant_host(name)
        http = self.http()
        started, start_ms = self._get(http, "/auth/login/", host)
        location = started.headers.get("Location", "")
        if started.status_code != 302 or urlsplit(location).hostname != self.wristband_host(name):
            raise UnexpectedAnswer(f"login start answered {started.status_code}")
        callback = urlsplit(self.fake.authorize(location))
        if callback.netloc != host or callback.path != "/auth/callback/":
            raise UnexpectedAnswer("the authorize step sent the browser elsewhere")
        finished, callback_ms = self._get(http, f"{callback.path}?{callback.query}", host)
        cookie = http.cookies.get("sessionid")
        if finished.status_code != 302 or not cookie:
            raise UnexpectedAnswer(f"callback answered {finished.status_code}")
        self.give_back(LiveSession(cookie, f"usr_{name}", host))
        return start_ms + callback_ms

    def session(self, argument: object = None) -> float | None:
        """The session view on the session's tenant host: 200 and the session's user id (a
        refresh when its token is due)."""
        live = argument if isinstance(argument, LiveSession) else self.take_session()
        if live is None:
            return None
        try:
            http = self.http()
            answer, ms = self._get(
                http, "/session/hello/", live.host, cookies={"sessionid": live.cookie}
            )
            if answer.status_code != 200 or answer.json().get("hello") != live.user_id:
                raise UnexpectedAnswer(f"session view answered {answer.status_code}")
            renewed = http.cookies.get("sessionid")
            if renewed and renewed != live.cookie:
                live.cookie = renewed
        finally:
            if not isinstance(argument, LiveSession):
                self.give_back(live)
        return ms

    def bearer(self, argument: object = None) -> float | None:
        """The bearer view on the token's tenant host: 200, the token's user id and client
        id."""
        token = argument if isinstance(argument, BearerToken) else self.pooled_token()
        if token is None:
            return None
        answer, ms = self._get(
            self.http(),
            "/bearer/hello/",
            self.tenant_host(token.tenant),
            headers={"Authorization": f"Bearer {token.token}"},
        )
        body = answer.json() if answer.status_code == 200 else {}
        if body.get("hello") != token.user_id or body.get("client_id") != token.client_id:
            raise UnexpectedAnswer(f"bearer view answered {answer.status_code}")
        return ms

    def unknown_host(self, argument: object = None) -> float | None:
        """The bearer view with a valid token of the pool on a subdomain that is no tenant's
        (``argument``: the label, else a new random one): 401, since the host's tenant is not
        the token's (the site knows no tenant of that name)."""
        token = self.pooled_token()
        if token is None:
            return None
        label = argument if isinstance(argument, str) else unknown_label()
        answer, ms = self._get(
            self.http(),
            "/bearer/hello/",
            self.tenant_host(label),
            headers={"Authorization": f"Bearer {token.token}"},
        )
        if answer.status_code != 401:
            raise UnexpectedAnswer(f"bearer view on an unknown host answered {answer.status_code}")
        return ms

    def new_bearer(self, argument: object = None) -> float | None:
        """A token never sent before (it takes the place of one in the pool)."""
        minted = self.mint_token()
        with self.lock:
            if self.tokens:
                self.tokens[random.randrange(len(self.tokens))] = minted  # noqa: S311
        return self.bearer(minted)

    def logout(self, argument: object = None) -> float | None:
        """Logout endpoint on the session's tenant host, a POST with Django's CSRF cookie and
        header: 302; then the session view answers 401 to the same cookie."""
        live = self.take_session()
        if live is None:
            return None
        http = self.http()
        cookies = {"sessionid": live.cookie}
        csrf = secrets.token_hex(16)  # a 32-character secret, as Django's cookie holds
        started = time.perf_counter()
        answer = http.post(
            f"{self.base}/auth/logout/",
            cookies={**cookies, "csrftoken": csrf},
            headers={"X-CSRFToken": csrf, "Host": live.host},
            allow_redirects=False,
            timeout=TIMEOUT_S,
        )
        ms = (time.perf_counter() - started) * 1000
        if answer.status_code != 302:
            self.give_back(live)
            raise UnexpectedAnswer(f"logout answered {answer.status_code}")
        after, _ = self._get(self.http(), "/session/hello/", live.host, cookies=cookies)
        if after.status_code != 401:
            raise UnexpectedAnswer(f"the session view after logout answered {after.status_code}")
        return ms

    def custom_domain(self, argument: object = None) -> float:
        """Login endpoint on a tenant's host with its real custom domain: 302 to that domain
        (Wristband confirmed it, or this worker remembers it did). ``argument``: the tenant's
        index, or (index, source address); else a random tenant, from 127.0.0.1."""
        source = None
        if isinstance(argument, tuple):
            argument, source = argument
        index = argument if isinstance(argument, int) else random.randrange(self.tenants)  # noqa: S311
        domain = custom_domain(index)
        status, location, ms = self._domain_login(tenant_name(index), domain, source)
        if status != 302 or urlsplit(location).hostname != domain:
            raise UnexpectedAnswer(f"custom domain login answered {status}, elsewhere")
        return ms

    def random_domain(self, argument: object = None) -> float:
        """Login endpoint on a random tenant's host with a domain no tenant has: Wristband
        rejects it, so the login goes to that tenant's Wristband host (302; the host's
        subdomain names the tenant), never to that domain. It comes from the loopback address
        ``argument``, else from a random one of ``ADDRESSES`` (a scan of random domains comes
        from many addresses), on a new connection."""
        source = argument if isinstance(argument, str) else None
        if source is None:
            source = source_address(random.randrange(ADDRESSES))  # noqa: S311
        tenant = tenant_name(random.randrange(self.tenants))  # noqa: S311
        domain = f"{secrets.token_hex(6)}.random.example.test"
        status, location, ms = self._domain_login(tenant, domain, source)
        if status != 302 or urlsplit(location).hostname != self.wristband_host(tenant):
            raise UnexpectedAnswer(f"random domain login answered {status}, elsewhere")
        return ms

    def machine(self, argument: object = None) -> float:
        """A view that gets machine client n's token with ``MachineTokenProvider``: 200."""
        index = argument if isinstance(argument, int) else random.randrange(self.machine_clients)  # noqa: S311
        answer, ms = self._get(self.http(), f"/m2m/{index}/")
        body = answer.json() if answer.status_code == 200 else {}
        if body.get("client_id") != f"soak-m2m-{index}" or not body.get("length"):
            raise UnexpectedAnswer(f"machine token view answered {answer.status_code}")
        return ms


class Pacer:
    """Spreads the clients' operations evenly at ``rate`` per second (0: as fast as they go);
    a client that falls behind does not burst to catch up."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.lock = threading.Lock()
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            slot = self.next_at = max(self.next_at + self.interval, now)
        time.sleep(max(0.0, slot - now))


def mixed_traffic(
    traffic: Traffic, clients: int, rate: float, stop: threading.Event
) -> list[threading.Thread]:
    """Start ``clients`` threads running the soak's mix until ``stop`` is set."""
    pacer = Pacer(rate)
    kinds, weights = list(MIX), list(MIX.values())

    def client() -> None:
        while not stop.is_set():
            pacer.wait()
            traffic.run(random.choices(kinds, weights)[0])  # noqa: S311

    threads = [
        threading.Thread(target=client, name=f"soak-{n}", daemon=True) for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    return threads
