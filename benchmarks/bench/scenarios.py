"""The measurements: throughput of the protected view, the refresh storm, logins, bytes."""

from __future__ import annotations

import json
import os
import socket
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from bench.infra import (
    BENCH_DIR,
    REPO_DIR,
    SERVERS,
    RedisServer,
    Server,
    TlsFront,
    WrkResult,
    django_admin,
    free_port,
    py_spy,
    wrk,
)
from bench.profiles import summarize_profile
from wristband_django.testing import FakeWristband

PACKAGES = ("ours", "official")
STORES = ("locmem", "redis", "db")
USER_ID = "usr_acme_admin"  # the fake's first user of tenant acme, who logs in everywhere
TOKEN_BUFFER_S = 60  # both packages' default token_expiration_buffer


@dataclass(frozen=True)
class Options:
    duration: int  # wrk takes whole seconds
    warmup: int
    rounds: int
    connections: int
    logins: int
    storm_requests: int
    storm_workers: int
    refresh_delay: float
    profile: bool = False


@dataclass
class Bench:
    """What every scenario shares: the fake Wristband, its TLS front, Redis, a work dir."""

    fake: FakeWristband
    tls: TlsFront
    cert: Path
    redis: RedisServer
    work: Path
    secret_key: str
    options: Options

    def server_env(
        self,
        package: str,
        store: str,
        port: int,
        *,
        name: str | None = None,
        auth: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """The server's environment; ``name`` (its SQLite file, default: the package),
        ``auth`` (more WRISTBAND_AUTH keys, ours only) and ``env`` (more BENCH_* variables)
        are for servers that run side by side with other settings."""
        base = f"http://127.0.0.1:{port}"
        urls = {"login_url": f"{base}/auth/login/", "redirect_uri": f"{base}/auth/callback/"}
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchsite.settings",
            "BENCH_PACKAGE": package,
            "BENCH_STORE": store,
            "BENCH_SECRET_KEY": self.secret_key,
            "BENCH_SQLITE_PATH": str(self.work / f"{name or package}.sqlite3"),
            "BENCH_REDIS_URL": self.redis.url,
            **(env or {}),
        }
        if package == "ours":
            auth = self.fake.auth_settings(
                **urls,
                protected_paths=["/api/"],
                dangerously_disable_secure_cookies=True,
                **(auth or {}),
            )
            environment["PYTHONPATH"] = os.pathsep.join([str(BENCH_DIR), str(REPO_DIR)])
        else:  # the official package: https only, so through the TLS front
            auth = {
                "client_id": self.fake.client_id,
                "client_secret": self.fake.client_secret,
                "wristband_application_vanity_domain": f"localhost:{self.tls.port}",
                **urls,
                "dangerously_disable_secure_cookies": True,
            }
            environment["PYTHONPATH"] = str(BENCH_DIR)
            environment["SSL_CERT_FILE"] = str(self.cert)
        environment["BENCH_WRISTBAND_AUTH"] = json.dumps(auth)
        return environment

    def server(
        self, package: str, store: str, workers: int, **extra: Any
    ) -> tuple[dict[str, str], int]:
        """A free port and the environment of a server on it (``extra``: ``server_env``'s)."""
        port = free_port()
        env = self.server_env(package, store, port, **extra)
        # A fresh, migrated SQLite database for every server: the session table for db
        # sessions, and whatever tables the package itself uses.
        Path(env["BENCH_SQLITE_PATH"]).unlink(missing_ok=True)
        django_admin(package, env, "migrate", "--noinput", "-v0")
        return env, port


# --- logging in over HTTP, with the package's own views ---------------------------------------


@dataclass(frozen=True)
class Login:
    cookie: str
    server_ms: float  # login view + callback view, as timed by the server (Server-Timing)
    queries: int  # SQL queries the two views made


def server_ms(response: requests.Response) -> float:
    return float(response.headers["Server-Timing"].partition("dur=")[2])


def sql_queries(response: requests.Response) -> int:
    return int(response.headers["X-Bench-Queries"])


def log_in(bench: Bench, base: str) -> Login:
    """Login endpoint → the fake's authorize (a user picked) → Callback endpoint."""
    browser = requests.Session()
    started = browser.get(f"{base}/auth/login/?tenant_name=acme", allow_redirects=False, timeout=10)
    if started.status_code != 302:
        raise RuntimeError(f"login answered {started.status_code}: {started.text[:300]}")
    # Theirs points at https://acme.localhost:<TLS front>; the browser step goes to the fake.
    authorize = urlsplit(started.headers["Location"])
    at_fake = f"{authorize.hostname}:{bench.fake.port}"
    callback = bench.fake.authorize(urlunsplit(("http", at_fake, *authorize[2:4], "")))
    finished = browser.get(callback, allow_redirects=False, timeout=10)
    if finished.status_code != 302 or "sessionid" not in browser.cookies:
        raise RuntimeError(f"callback answered {finished.status_code}: {finished.text[:300]}")
    return Login(
        browser.cookies["sessionid"],
        server_ms(started) + server_ms(finished),
        sql_queries(started) + sql_queries(finished),
    )


# --- a: the protected view with a valid token, against the same view unprotected -------------


@dataclass
class ViewStats:
    runs: list[WrkResult] = field(default_factory=list)
    commands: Counter[str] = field(default_factory=Counter)
    idp_calls: int = 0
    cpu_seconds: float = 0.0  # the server's worker's, during the measured runs
    queries_per_request: float = 0.0  # sampled over 20 sequential requests

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    @property
    def rps(self) -> float:
        return self.requests / sum(run.seconds for run in self.runs)

    @property
    def p50_ms(self) -> float:
        return statistics.mean(run.p50_ms for run in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.mean(run.p99_ms for run in self.runs)

    @property
    def failures(self) -> int:
        return sum(run.non_2xx + run.socket_errors for run in self.runs)

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_seconds / self.requests * 1e6

    @property
    def commands_per_request(self) -> float:
        return sum(self.commands.values()) / self.requests

    @property
    def round_trips(self) -> float:
        """Redis commands and SQL queries per request."""
        return self.commands_per_request + self.queries_per_request


@dataclass(frozen=True)
class SessionBytes:
    keys: int
    value_bytes: int


@dataclass
class Throughput:
    package: str
    store: str
    plain: ViewStats
    protected: ViewStats
    session_bytes: SessionBytes | None = None
    server: str = "gunicorn"  # or "uvicorn" (ASGI)
    view: str = "hello"  # or "ahello", the async view (ASGI)


def check_views(base: str, cookie: str, view: str = "hello") -> None:
    """Both views answer the user's id with the cookie, and /api/ is protected without it."""
    for path in (f"/plain/{view}/", f"/api/{view}/"):
        answer = requests.get(f"{base}{path}", cookies={"sessionid": cookie}, timeout=10)
        if answer.status_code != 200 or answer.json() != {"hello": USER_ID}:
            raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[:300]}")
    anonymous = requests.get(f"{base}/api/{view}/", timeout=10)
    if anonymous.status_code != 401:
        raise RuntimeError(f"/api/{view}/ without a session answered {anonymous.status_code}")


def queries_per_request(base: str, path: str, cookie: str, samples: int = 20) -> float:
    counts = [
        int(
            requests.get(f"{base}{path}", cookies={"sessionid": cookie}, timeout=10).headers[
                "X-Bench-Queries"
            ]
        )
        for _ in range(samples)
    ]
    return sum(counts) / samples


def throughput(
    bench: Bench,
    package: str,
    store: str,
    *,
    server_kind: str = "gunicorn",
    view: str = "hello",
    session_bytes: bool = True,
) -> Throughput:
    """a (and on Redis e, with ``session_bytes``): one worker, ``server_kind`` (gunicorn or
    uvicorn), the plain and the protected ``view`` (``hello``, or ``ahello`` under ASGI)."""
    options = bench.options
    env, port = bench.server(package, store, workers=1)
    log = bench.work / f"{server_kind}-{package}-{store}.log"
    with SERVERS[server_kind](package, port, env, workers=1, log=log) as server:
        base = server.base
        bench.redis.client.flushdb()
        bench.fake.reset_records()
        first = log_in(bench, base)
        result = Throughput(package, store, ViewStats(), ViewStats(), server=server_kind, view=view)
        if store == "redis" and session_bytes:
            result.session_bytes = stored_bytes(bench.redis)
        check_views(base, first.cookie, view)
        for round_number in range(options.rounds):
            variants = [("plain", result.plain), ("api", result.protected)]
            for prefix, stats in variants if round_number % 2 == 0 else variants[::-1]:
                url = f"{base}/{prefix}/{view}/"
                wrk(url, first.cookie, options.warmup, options.connections)
                bench.fake.reset_records()
                before, cpu_before = bench.redis.command_calls(), server.workers_cpu_seconds()
                stats.runs.append(wrk(url, first.cookie, options.duration, options.connections))
                stats.cpu_seconds += server.workers_cpu_seconds() - cpu_before
                after = bench.redis.command_calls()
                stats.commands.update({name: after[name] - before.get(name, 0) for name in after})
                stats.idp_calls += len(bench.fake.requests)
        for prefix, stats in (("plain", result.plain), ("api", result.protected)):
            stats.commands -= Counter()  # drop the zeros
            stats.queries_per_request = queries_per_request(
                base, f"/{prefix}/{view}/", first.cookie
            )
        if options.profile and server_kind == "gunicorn":  # profiles.py reads WSGI stacks
            for prefix in ("plain", "api"):
                profile(bench, server, f"{package}-{store}-{prefix}", first.cookie, prefix)
    return result


def profile(bench: Bench, server: Server, name: str, cookie: str, prefix: str) -> None:
    """py-spy on the server during one more load run; writes results/profiles/<name>.*"""
    directory = bench.work.parent / "profiles"
    directory.mkdir(exist_ok=True)
    raw = directory / f"{name}.raw"
    spy = py_spy(server.pid, bench.options.duration, raw)
    time.sleep(0.5)  # let py-spy attach
    wrk(f"{server.base}/{prefix}/hello/", cookie, bench.options.duration, bench.options.connections)
    spy.wait(bench.options.duration + 30)
    (directory / f"{name}.txt").write_text(summarize_profile(raw))


def stored_bytes(store: RedisServer) -> SessionBytes:
    """Everything one login left in Redis (the run's own Redis, flushed before the login)."""
    keys = list(store.client.scan_iter())
    return SessionBytes(len(keys), sum(int(store.client.strlen(key)) for key in keys))


# --- b: the refresh storm ---------------------------------------------------------------------


@dataclass(frozen=True)
class Storm:
    package: str
    requests: int
    statuses: Counter[int]
    token_calls: int
    replayed_refresh_tokens: int
    p50_ms: float
    p99_ms: float
    next_refresh_status: int
    server: str = "gunicorn"  # or "uvicorn" (ASGI)
    view: str = "hello"


STORM_TOKEN_VALIDITY_S = 5  # tokens issued during the storm expire 5 s later


def concurrent_gets(port: int, path: str, cookie: str, count: int) -> list[tuple[int, float]]:
    """``count`` GETs sent at once on connections opened beforehand: (status, ms) each.

    Raw sockets keep the client's own work (and its share of the GIL) out of the way, so
    the requests reach the server together.
    """
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sessionid={cookie}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    connections = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    barrier = threading.Barrier(count)
    answers: list[tuple[int, float]] = []

    def call(connection: socket.socket) -> None:
        with connection:
            barrier.wait()
            started = time.perf_counter()
            connection.sendall(request)
            response = b""
            while chunk := connection.recv(65536):
                response += chunk
            status_line = response.split(b"\r\n", 1)[0].split()
            status = int(status_line[1]) if len(status_line) > 1 else 0  # 0: no answer
            answers.append((status, (time.perf_counter() - started) * 1000))

    threads = [threading.Thread(target=call, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def storm(
    bench: Bench, package: str, *, server_kind: str = "gunicorn", view: str = "hello"
) -> Storm:
    """``storm_requests`` concurrent requests on one session whose access token has expired,
    on ``storm_workers`` processes of ``server_kind`` (gunicorn or uvicorn)."""
    options, fake = bench.options, bench.fake
    env, port = bench.server(package, "redis", workers=options.storm_workers)
    log = bench.work / f"{server_kind}-{package}-storm.log"
    serve = SERVERS[server_kind]
    with serve(package, port, env, workers=options.storm_workers, log=log) as server:
        base = server.base
        bench.redis.client.flushdb()
        fake.access_token_ttl = TOKEN_BUFFER_S  # minus the buffer: expired when issued
        cookie = log_in(bench, base).cookie
        fake.access_token_ttl = TOKEN_BUFFER_S + STORM_TOKEN_VALIDITY_S
        for _ in range(2):  # every worker serves a request or two first: warm, as in production
            concurrent_gets(port, f"/plain/{view}/", cookie, options.storm_requests)
        fake.inject("token", delay=options.refresh_delay, grant_type="refresh_token", times=None)
        fake.reset_records()
        answers = concurrent_gets(port, f"/api/{view}/", cookie, options.storm_requests)
        fake.clear_faults()
        calls = fake.calls("token", grant_type="refresh_token")
        presented = [call.form.get("refresh_token") for call in calls]
        # Use the session once more after the tokens the storm got have expired: that
        # refresh only works if the storm left a live refresh token in the session.
        last_issued = max((call.at for call in calls), default=time.time()) + options.refresh_delay
        time.sleep(max(0.0, last_issued + STORM_TOKEN_VALIDITY_S + 0.5 - time.time()))
        fake.access_token_ttl = 3600
        url = f"{base}/api/{view}/"
        after = requests.get(url, cookies={"sessionid": cookie}, timeout=30).status_code
    latencies = sorted(ms for _, ms in answers)
    return Storm(
        package=package,
        requests=len(answers),
        statuses=Counter(status for status, _ in answers),
        token_calls=len(calls),
        replayed_refresh_tokens=len(presented) - len(set(presented)),
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))],
        next_refresh_status=after,
        server=server_kind,
        view=view,
    )
