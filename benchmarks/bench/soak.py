"""j. Memory over time: ``python3 benchmarks/run.py --only-soak`` (``--help`` for the knobs).

Our package only, one gunicorn server (2 gthread workers of 4 threads, ``--preload``) on
Redis sessions (the run's own redis-server), the admin's ``LoginSession`` rows on
PostgreSQL (the machine's server, a fresh database ``wristband_bench_soak``, dropped at the
end; SQLite when it does not answer), and one fake Wristband in the runner's process, with
``--tenants`` tenants (1,100: more custom domains than the 1,024 confirmed ones a process
keeps, so that the bound can be reached), each with a custom domain and a user,
``--machine-clients`` machine clients, and its signing key rotated until its JWKS publishes
as many keys as the package keeps (``jwks_cache_max_size``).

The site runs in subdomain mode, as a multi-tenant deployment whose tenants each have their
own host: every tenant's pages, its login and its callback are on
``<tenant>.app.test:<port>`` (the fake's auto-configuration reports the Login URL and
redirect URI with ``{tenant_name}`` and the root domain, ``loginUrlTenantDomainSuffix``), so
that every per-process cache the package keeps is in use, the tenant directory included:
a request whose host names a tenant is checked against the tenant id the site learned for
that name. Every request goes to 127.0.0.1 with its host in the ``Host`` header
(``BENCH_ALLOWED_HOSTS`` lets the server accept ``.app.test``).

A bounded pool of client threads (``--clients``, only 127.0.0.1) sends a mix of requests,
each with its expected answer (anything else is an error of its kind): logins across the
tenants, each on its tenant's host, the session view on the session's tenant host
(refreshing when its access token is due: the fake's tokens last 45 s beyond the 60 s
buffer), bearer requests on the token's tenant host with tokens of ``--bearer-clients``
client ids (all in ``allowed_bearer_client_ids``), a few with a token never sent before, a
few on a random subdomain that is no tenant's (401: the host's tenant is not the token's),
logouts, Login requests on a tenant's host naming its real custom domain (Wristband
confirms it) or a random one (Wristband rejects it; each from a new connection on one of
4,096 loopback source addresses ``127.1.x.y``, since the package keeps a domain-check
budget per client address, the peer's ``REMOTE_ADDR``), and machine tokens through
``MachineTokenProvider`` (on 127.0.0.1, a host that names no tenant).

The warm-up first drives every cache the traffic fills to its bound (each worker's
``/bench/caches/`` says how big each one is and may get): the custom-domain logins come in
rounds, each on new connections from new source addresses (so that either worker gets
them), until both workers keep as many confirmed and rejected domains and client
addresses as they may; then bearer requests on random subdomains, in rounds, until both
workers' tenant directories are full (the tenants' own hosts, learnt from logins, sessions
and bearer requests, and the unknown hosts, each remembered as naming no known tenant).
Then it runs the mix until ``--warmup-seconds`` have passed. Then
the soak proper, ``--minutes``: each minute the resident memory of each worker (``VmRSS``),
the requests, errors and p50/p99 of that minute, the refreshes the fake answered, and the
caches of both workers. It prints the section,
writes ``benchmarks/results/soak.md`` and the plot, and, unless ``--no-doc``, the section
into docs/PERFORMANCE.md and the plot into docs/images/performance-soak.png.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import random
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
import requests
from benchsite.soak_clients import machine_client, rss_kib

from bench import soak_traffic as traffic_kinds
from bench.infra import (
    BENCH_DIR,
    REPO_DIR,
    RedisServer,
    _children,
    django_admin,
    free_port,
    gunicorn,
    postgres_database,
)
from bench.soak_traffic import Bucket, Recorder, Traffic, median, percentile
from wristband_django.testing import FakeWristband

START, END = "<!-- benchmark-soak:start -->", "<!-- benchmark-soak:end -->"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "wristband_bench_soak"
DOC_PLOT = REPO_DIR / "docs" / "images" / "performance-soak.png"
WORKERS, THREADS = 2, 4
TOKEN_BUFFER_S = 60  # the package's default token_expiration_buffer
REFRESH_AFTER_S = 45  # a session's access token is due for a refresh 45 s after it is issued
JWKS_KEYS = 20  # the package's default jwks_cache_max_size: the fake publishes that many keys
GROWTH_TARGET = 0.05
#: The rounds of each part of the warm-up's filling at most (``fill_until``).
MAX_FILL_ROUNDS = 12
#: The caches the custom-domain logins fill, which the warm-up's rounds wait for.
DOMAIN_CACHES = ("confirmed custom domains", "rejected custom domains", "domain-check budgets")
#: The tenant directory's per-process memory, which hosts naming tenants fill.
DIRECTORY = "tenant directory"
#: Caches keyed by configuration (a secret, a purpose, a base URL, a settings object): one
#: entry per configuration, whatever the traffic; their bound guards against settings that
#: change at run time (tests), and no traffic reaches it.
CONFIGURATION_KEYED = {
    "derived ciphers",
    "machine-token key HMACs",
    "Wristband clients",
    "auto-configuration",
    "protected-path patterns",
    "telemetry server addresses",
    "prepared endpoint requests",  # one per endpoint of each configuration's client
    "popup page paths",  # one per URLconf and script prefix
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py --only-soak", description=__doc__)
    parser.add_argument("--only-soak", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--minutes", type=int, default=10, help="minutes of the soak proper")
    parser.add_argument(
        "--warmup-seconds",
        type=int,
        default=180,
        help="least seconds of warm-up (filling every cache comes first, however long: about "
        "90 s on two cores; then the mix until these seconds have passed)",
    )
    parser.add_argument(
        "--tenants",
        type=int,
        default=1100,
        help="tenants in the fake, each with a custom domain (more than the 1,024 confirmed "
        "domains a process keeps, so that the bound can be reached)",
    )
    parser.add_argument("--bearer-clients", type=int, default=50, help="client ids of tokens")
    parser.add_argument("--machine-clients", type=int, default=8, help="M2M clients")
    parser.add_argument("--clients", type=int, default=6, help="client threads of the runner")
    parser.add_argument("--rate", type=float, default=80.0, help="operations/s (0: unpaced)")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="a URL of the server")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/")
    args = parser.parse_args(argv)
    if args.minutes < 1 or args.tenants < 1 or args.bearer_clients < 1:
        parser.error("--minutes, --tenants and --bearer-clients are at least 1")
    return args


@dataclass
class Sample:
    """One minute of the soak (minute 0: the end of the warm-up)."""

    minute: int
    rss_mib: dict[int, float]  # by worker pid
    bucket: Bucket
    refreshes: int
    caches: dict[int, dict[str, Any]] = field(default_factory=dict)  # by worker pid


@dataclass
class Soak:
    args: argparse.Namespace
    database: str
    warmup_s: float
    fill_s: float
    warmup: Bucket
    samples: list[Sample]
    final_caches: dict[int, dict[str, Any]]
    workers: list[int]
    fill_rounds: dict[str, int]
    addresses: int
    restarted: bool
    idp_calls: dict[str, int]
    token_pool: int
    sessions: int
    error_samples: dict[str, list[str]]


def server_env(
    fake: FakeWristband,
    redis: RedisServer,
    work: Path,
    port: int,
    database_url: str | None,
    args: argparse.Namespace,
    secret_key: str,
) -> dict[str, str]:
    """The soak server's environment: benchsite with ``urls_soak``, our package on Redis, in
    subdomain mode (the Login URL, redirect URI and root domain come from the fake's
    auto-configuration; the server accepts every host under the root domain)."""
    auth = fake.auth_settings(
        protected_paths=["/api/"],
        dangerously_disable_secure_cookies=True,
        allowed_bearer_client_ids=[
            traffic_kinds.bearer_client(n) for n in range(args.bearer_clients)
        ],
        # The default (60 a minute per process, bursts of 10) would take each worker over
        # half an hour to fill its 1,024 confirmed and 1,024 rejected domains.
        custom_domain_checks_per_minute=600_000,
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchsite.settings",
        "BENCH_PACKAGE": "ours",
        "BENCH_STORE": "redis",
        "BENCH_URLCONF": "benchsite.urls_soak",
        "BENCH_SECRET_KEY": secret_key,
        "BENCH_SQLITE_PATH": str(work / "soak.sqlite3"),
        "BENCH_REDIS_URL": redis.url,
        "BENCH_SOAK_MACHINE_CLIENTS": str(args.machine_clients),
        "BENCH_WRISTBAND_AUTH": json.dumps(auth),
        "BENCH_ALLOWED_HOSTS": f"127.0.0.1,localhost,.{traffic_kinds.ROOT_DOMAIN}",
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(REPO_DIR)]),
    }
    if database_url:
        env["BENCH_POSTGRES_URL"] = database_url
    return env


def worker_caches(base: str, pids: list[int], count_objects: bool) -> dict[int, dict[str, Any]]:
    """``/bench/caches/`` of each worker: asked on new connections until both answered."""
    found: dict[int, dict[str, Any]] = {}
    query = "?objects=1" if count_objects else ""
    for _ in range(80):
        answer = requests.get(
            f"{base}/bench/caches/{query}", headers={"Connection": "close"}, timeout=30
        )
        answer.raise_for_status()
        body = answer.json()
        found.setdefault(body["pid"], body["caches"])
        if set(pids) <= set(found):
            break
    return found


def rss_mib(pids: list[int]) -> dict[int, float]:
    return {pid: rss_kib(pid) / 1024 for pid in pids}


def bound_of(caches: dict[int, dict[str, Any]], name: str, default: int) -> int:
    bounds = [c[name]["bound"] for c in caches.values() if name in c and c[name]["bound"]]
    return max(bounds, default=default)


def fill(traffic: Traffic, clients: int, work: Sequence[tuple[str, object]]) -> None:
    """Run the operations ``work`` on ``clients`` threads, in order of the list."""
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda item: traffic.run(*item), work))


def fill_caches(
    traffic: Traffic, args: argparse.Namespace, caches: dict[int, Any], ask: Any
) -> dict[str, int]:
    """The warm-up's first part: send each worker enough distinct sessions, tokens, domains,
    client addresses and machine clients to fill the caches they go to.

    Every request comes on a new connection, so that either worker may accept it, and each
    part goes in rounds until both workers' caches (``ask()``: the caches by worker) are at
    their bounds (``fill_until``). Return the rounds each part took."""
    rounds: dict[str, int] = {}
    traffic.fresh_connections = True
    entries = bound_of(caches, "session entries", 1024)
    logins = max(args.tenants, math.ceil(entries * 1.3))
    print(f"… warm-up: {logins} logins", file=sys.stderr, flush=True)
    fill(traffic, args.clients, [(traffic_kinds.LOGIN, n % args.tenants) for n in range(logins)])
    sessions = list(traffic.sessions)
    traffic.sessions.clear()  # handed to the session requests one by one, then back
    rounds["sessions"] = fill_until(
        traffic,
        args,
        ask,
        {"session entries": entries},
        lambda n: [(traffic_kinds.SESSION, live) for live in sessions * (3 if n == 1 else 1)],
    )
    traffic.sessions.extend(sessions)
    rounds["custom domains"] = fill_domains(traffic, args, caches, ask)
    rounds["bearer tokens"] = fill_until(
        traffic,
        args,
        ask,
        {"validated bearer tokens": bound_of(caches, "validated bearer tokens", 1024)},
        lambda n: [
            (traffic_kinds.BEARER, token) for token in traffic.tokens * (3 if n == 1 else 1)
        ],
    )
    rounds[DIRECTORY] = fill_directory(traffic, args, caches, ask)
    machines = [(traffic_kinds.MACHINE, n) for n in range(args.machine_clients)] * 4
    fill(traffic, args.clients, machines)
    traffic.fresh_connections = False
    return rounds


def fill_directory(
    traffic: Traffic, args: argparse.Namespace, caches: dict[int, Any], ask: Any
) -> int:
    """Send bearer requests on random subdomains (each a host naming no tenant the site
    knows: 401) in rounds until every worker's tenant directory holds as many pairs as it
    may (``fill_until``).

    By then each worker has learnt the names of the tenants whose sessions and tokens it
    served on their hosts; each unknown host adds one pair (remembered as unknown). The
    first round sends twice the bound (the two workers share them), the next ones half of
    it. Return the rounds sent."""
    bound = bound_of(caches, DIRECTORY, 4096)

    def work(number: int) -> list[tuple[str, object]]:
        count = bound * 2 if number == 1 else bound // 2
        return [(traffic_kinds.UNKNOWN_HOST, traffic_kinds.unknown_label()) for _ in range(count)]

    return fill_until(traffic, args, ask, {DIRECTORY: bound}, work)


def fill_until(
    traffic: Traffic,
    args: argparse.Namespace,
    ask: Any,
    goals: dict[str, int],
    work: Any,
) -> int:
    """Send ``work(round)`` (a list of operations, run in its order) in rounds until every
    worker's caches named in ``goals`` hold as many entries as the goal (``ask()``: the
    caches by worker); print the sizes after each round. Return the rounds sent
    (``MAX_FILL_ROUNDS`` at most)."""
    for number in range(1, MAX_FILL_ROUNDS + 1):
        print(f"… warm-up: {', '.join(goals)}, round {number}", file=sys.stderr, flush=True)
        fill(traffic, args.clients, work(number))
        found = ask()
        sizes = "; ".join(
            f"{name} " + " / ".join(f"{worker[name]['size']:,}" for worker in found.values())
            for name in goals
        )
        print(f"  {sizes}", file=sys.stderr, flush=True)
        if all(worker[name]["size"] >= goal for name, goal in goals.items()
               for worker in found.values()):  # fmt: skip
            return number
    return MAX_FILL_ROUNDS


def fill_domains(
    traffic: Traffic, args: argparse.Namespace, caches: dict[int, Any], ask: Any
) -> int:
    """Send custom-domain logins in rounds until every worker keeps as many confirmed and
    rejected domains and client addresses as it may (``fill_until``).

    Each request comes from the next of the loopback source addresses. A round sends every
    tenant's real domain, and random domains (three times the rejected domains' bound in the
    first round, once after). A domain a worker remembers takes no check, so only new domains
    add client addresses. The confirmed domains are waited for only when there are more
    tenants than their bound. Return the rounds sent."""
    goals = {name: bound_of(caches, name, 1024) for name in DOMAIN_CACHES}
    if args.tenants <= goals["confirmed custom domains"]:
        del goals["confirmed custom domains"]  # fewer domains than the bound: not reachable
    randoms = bound_of(caches, "rejected custom domains", 1024)

    def work(number: int) -> list[tuple[str, object]]:
        items: list[tuple[str, object]] = [
            (traffic_kinds.CUSTOM_DOMAIN, (n, traffic.address())) for n in range(args.tenants)
        ]
        count = randoms * (3 if number == 1 else 1)
        items += [(traffic_kinds.RANDOM_DOMAIN, traffic.address()) for _ in range(count)]
        random.shuffle(items)
        return items

    return fill_until(traffic, args, ask, goals, work)


def run_soak(
    args: argparse.Namespace, work: Path, redis: RedisServer, database: str | None
) -> Soak:
    secret_key = secrets.token_urlsafe(32)
    tenants, users = traffic_kinds.tenants_and_users(args.tenants)
    port = free_port()
    tenant_site = f"http://{{tenant_name}}.{traffic_kinds.ROOT_DOMAIN}:{port}"
    with FakeWristband(
        tenants=tenants,
        users=users,
        access_token_ttl=TOKEN_BUFFER_S + REFRESH_AFTER_S,
        rotate_refresh_tokens=True,
        # Subdomain mode, as auto-configuration reports it to the package.
        login_url=f"{tenant_site}/auth/login/",
        redirect_uri=f"{tenant_site}/auth/callback/",
        login_url_tenant_domain_suffix=traffic_kinds.ROOT_DOMAIN,
    ) as fake:
        for index in range(args.machine_clients):
            fake.add_machine_client(*machine_client(index, secret_key))
        for _ in range(JWKS_KEYS - 1):  # the JWKS publishes JWKS_KEYS keys
            fake.rotate_signing_key(keep_old=True)
        env = server_env(fake, redis, work, port, database, args, secret_key)
        (work / "soak.sqlite3").unlink(missing_ok=True)
        django_admin("ours", env, "migrate", "--noinput", "-v0")
        log = work / "gunicorn-soak.log"
        with gunicorn("ours", port, env, workers=WORKERS, log=log, threads=THREADS) as server:
            return drive(args, fake, server.base, server.pid, database)


def drive(
    args: argparse.Namespace, fake: FakeWristband, base: str, master: int, database: str | None
) -> Soak:
    """The warm-up and the soak against the running server."""
    deadline = time.monotonic() + 30  # gunicorn forks its workers after it first answers
    while len(workers := _children(master)) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.1)
    caches = worker_caches(base, workers, count_objects=False)
    lifetime = args.warmup_seconds + args.minutes * 60 + 3600  # the pool outlives the soak
    recorder = Recorder()
    traffic = Traffic(
        fake, base, args.tenants, args.bearer_clients, args.machine_clients, lifetime, recorder
    )
    validated = bound_of(caches, "validated bearer tokens", 1024)
    pool = max(500, math.ceil(validated * 1.5))
    print(f"… minting {pool} bearer tokens", file=sys.stderr, flush=True)
    traffic.tokens = [traffic.mint_token() for _ in range(pool)]
    started = time.monotonic()
    rounds = fill_caches(traffic, args, caches, lambda: worker_caches(base, workers, False))
    fill_s = time.monotonic() - started
    traffic.session_cap = len(traffic.sessions)
    stop = threading.Event()
    threads = traffic_kinds.mixed_traffic(traffic, args.clients, args.rate, stop)
    time.sleep(max(0.0, args.warmup_seconds - fill_s))
    warmup = recorder.swap()
    warmup_s = time.monotonic() - started
    fake.reset_records()
    samples = [Sample(0, rss_mib(workers), Bucket(), 0, worker_caches(base, workers, True))]
    totals: dict[str, int] = {}
    print(f"… soak: {args.minutes} minutes", file=sys.stderr, flush=True)
    soak_started = time.monotonic()
    for minute in range(1, args.minutes + 1):
        time.sleep(max(0.0, soak_started + minute * 60 - time.monotonic()))
        bucket = recorder.swap()
        refreshes = len(fake.calls("token", grant_type="refresh_token"))
        for call in fake.requests:
            totals[call.endpoint] = totals.get(call.endpoint, 0) + 1
        fake.reset_records()
        alive = _children(master)
        sample = Sample(minute, rss_mib(workers), bucket, refreshes)
        sample.caches = worker_caches(base, workers, count_objects=minute == args.minutes)
        samples.append(sample)
        print(
            f"  minute {minute}: "
            + ", ".join(f"{mib:.1f} MiB" for mib in sample.rss_mib.values())
            + f", {bucket.requests} requests, {sum(bucket.errors.values())} errors, "
            f"p99 {percentile(bucket.all_latencies(), 0.99):.0f} ms",
            file=sys.stderr,
            flush=True,
        )
        if sorted(alive) != sorted(workers):
            break
    stop.set()
    for thread in threads:
        thread.join(TIMEOUT_JOIN_S)
    return Soak(
        args=args,
        database="PostgreSQL" if database else "SQLite",
        warmup_s=warmup_s,
        fill_s=fill_s,
        warmup=warmup,
        samples=samples,
        final_caches=samples[-1].caches,
        workers=workers,
        fill_rounds=rounds,
        addresses=min(traffic.next_address, traffic_kinds.ADDRESSES),
        restarted=sorted(_children(master)) != sorted(workers),
        idp_calls=totals,
        token_pool=pool,
        sessions=traffic.session_cap,
        error_samples=recorder.samples,
    )


TIMEOUT_JOIN_S = traffic_kinds.TIMEOUT_S + 5


# --- the section ----------------------------------------------------------------------------


def machine_line(redis: RedisServer, database: str) -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if "model name" in line), platform.processor() or "unknown CPU",
    )  # fmt: skip
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{datetime.date.today():%Y-%m-%d}, {cpu}, {os.cpu_count()} cores, "
        f"{mem_kib / 2**20:.1f} GiB RAM, Linux {platform.release()}; "
        f"Python {platform.python_version()}, Django {version('Django')}, "
        f"django-redis {version('django-redis')}, Redis {redis.client.info()['redis_version']}, "
        f"gunicorn {version('gunicorn')}, {database}."
    )


def growth(samples: list[Sample], pid: int) -> tuple[float, float]:
    """(last / first - 1, highest / first - 1) of a worker's RSS over the samples."""
    values = [s.rss_mib[pid] for s in samples if pid in s.rss_mib]
    return values[-1] / values[0] - 1, max(values) / values[0] - 1


def why_not(name: str, args: argparse.Namespace) -> str:
    """Why this traffic, with these settings, does not fill the cache ``name`` (if known)."""
    reasons = {
        "confirmed custom domains": f"{args.tenants:,} tenants have {args.tenants:,} custom "
        "domains",
        "domain-check budgets": "fewer distinct client addresses asked this worker for a "
        "domain check than it keeps",
        DIRECTORY: "fewer distinct tenant hosts (tenants' or unknown subdomains) reached this "
        f"worker than it keeps, in {MAX_FILL_ROUNDS} rounds of the warm-up",
        "opened sealed values": "it holds the token-at-rest values a worker decrypts: one per "
        f"machine-token record ({args.machine_clients} machine clients, a record per token "
        "until it is due) and one per admin row whose session key is opened (the admin's End "
        "session, or ending a user's or tenant's sessions through a webhook; none in this "
        "traffic). Redis session entries are sealed whole and cached as session entries, not "
        "here. Filling it would take ending sessions through more than 4,096 admin rows in one "
        "worker, or thousands of machine clients",
    }
    return reasons.get(name, "")


def cache_rows(soak: Soak) -> list[tuple[str, str, str, str, str]]:
    """(cache, holds, bound, size at end per worker, reached) for every cache."""
    rows = []
    first = next(iter(soak.final_caches.values()), {})
    entries = first.get("session entries", {}).get("bound") or 0
    tokens = first.get("validated bearer tokens", {}).get("bound") or 0
    for name, info in first.items():
        sizes = [soak.final_caches[pid].get(name, {}).get("size") for pid in soak.workers]
        bound = info["bound"]
        shown = " / ".join("?" if size is None else f"{size:,}" for size in sizes)
        bound_text = "none" if bound is None else f"{bound:,}"
        if name in CONFIGURATION_KEYED:
            reached = "n/a: one entry per configuration"
        elif name == "typed users":
            held = entries + tokens
            within = all(size is not None and size <= held for size in sizes)
            bound_text = f"{entries:,} + {tokens:,} (the caches that hold them)"
            reached = (
                "n/a: no bound of its own; each is kept on a cached session entry (at most "
                f"{entries:,}) or on a validated bearer token's claims (at most {tokens:,}), "
                f"so at most {held:,} live: " + ("within" if within else "**above** (in flight)")
            )
        elif bound is None:
            reached = "n/a: no bound of its own"
        elif all(size is not None and size >= bound for size in sizes):
            reached = "yes"
        else:
            reason = why_not(name, soak.args)
            reached = "**no**" + (f": {reason}" if reason else "")
        rows.append((name, info["holds"], bound_text, shown, reached))
    return rows


def render(soak: Soak, machine: str, plot_path: str) -> str:
    args, samples = soak.args, soak.samples
    kinds = ", ".join(f"{kind} {share}%" for kind, share in traffic_kinds.MIX.items())
    rounds = ", ".join(f"{part} {count}" for part, count in soak.fill_rounds.items())
    lines = [
        f"Measured {machine}",
        "",
        f"One gunicorn server, {WORKERS} gthread workers of {THREADS} threads (`--preload`), "
        f"Redis sessions, admin rows on {soak.database}; the fake Wristband in the runner's "
        f"process with {args.tenants:,} tenants (a custom domain and a user each), "
        f"{args.machine_clients} machine clients and {JWKS_KEYS} published signing keys. "
        "The site runs in **subdomain mode**: each tenant's pages, login and callback are on "
        f"its own host, `<tenant>.{traffic_kinds.ROOT_DOMAIN}` (the fake's auto-configuration "
        "reports the `{tenant_name}` Login URL and redirect URI and the root domain), as in a "
        "multi-tenant deployment whose tenants have hosts of their own, so that every "
        "per-process cache the package keeps is in use, the tenant directory included (a "
        "request on a tenant's host is checked against the tenant id the site learnt for "
        "that name; with tenants named in the Login endpoint's query, nothing reads it). "
        "Every request goes to 127.0.0.1 with its host in the `Host` header: sessions, "
        "logouts and bearer tokens on their tenant's host, custom-domain logins on the "
        "tenant's host (on a host naming no tenant, such a login has no tenant name to build "
        "its callback URL on, and goes to tenant discovery), bearer requests on unknown "
        "subdomains (401), machine tokens on 127.0.0.1. "
        f"{args.clients} client threads at {args.rate:g} operations/s: {kinds}. "
        f"Bearer tokens of {args.bearer_clients} client ids, a pool of {soak.token_pool:,}; "
        f"about {soak.sessions:,} live sessions. Logins go across all {args.tenants:,} tenants: "
        "more custom domains than the 1,024 confirmed ones a process keeps, so that this bound "
        "can be reached. The package keeps a domain-check budget per client address (the "
        "peer's `REMOTE_ADDR`): the custom-domain logins of the warm-up, and the random-domain "
        f"ones throughout, come on new connections from {soak.addresses:,} loopback source "
        "addresses (`127.1.x.y`). The package's `custom_domain_checks_per_minute` is raised to "
        "600,000 (its default, 60 a minute per process, would take each worker over half an "
        "hour to fill its domains). Each worker's tenant directory is filled by the "
        "tenants' hosts its sessions and tokens come to and by bearer requests on random "
        "subdomains (each remembered as naming no known tenant). "
        f"Warm-up {soak.warmup_s:.0f} s (filling the caches took "
        f"{soak.fill_s:.0f} s, on new connections, in rounds until both workers' caches were "
        f"at their bounds, rounds: {rounds}), then {len(samples) - 1} minute(s).",
        "",
        "| minute | "
        + " | ".join(f"RSS worker {n + 1} MiB" for n in range(len(soak.workers)))
        + " | requests | errors | refreshes | p50 ms | p99 ms |",
        "|" + "---|" * (len(soak.workers) + 6),
    ]
    for sample in samples:
        latencies = sample.bucket.all_latencies()
        rss = " | ".join(f"{sample.rss_mib.get(pid, 0):.1f}" for pid in soak.workers)
        if sample.minute == 0:
            lines.append(f"| 0 (end of warm-up) | {rss} | | | | | |")
            continue
        lines.append(
            f"| {sample.minute} | {rss} | {sample.bucket.requests:,} | "
            f"{sum(sample.bucket.errors.values())} | {sample.refreshes} | "
            f"{median(latencies):.1f} | {percentile(latencies, 0.99):.1f} |"
        )
    soaked = Bucket()
    for sample in samples[1:]:
        soaked.add(sample.bucket)
    lines += [
        "",
        "By kind, over the soak (warm-up not included; a login is its two requests to the "
        "server, the fake's authorize page not included):",
        "",
        "| kind | requests | errors | p50 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    for kind in traffic_kinds.KINDS:
        values = soaked.latencies.get(kind, [])
        lines.append(
            f"| {kind} | {len(values) + soaked.errors[kind]:,} | {soaked.errors[kind]} | "
            f"{median(values):.1f} | {percentile(values, 0.99):.1f} |"
        )
    lines += [
        "",
        "Every per-process cache of the package, in each worker at the end "
        "(`/bench/caches/`; sizes worker 1 / worker 2):",
        "",
        "| cache | holds | bound | size at end | reached |",
        "|---|---|---|---|---|",
        *(f"| {' | '.join(str(cell) for cell in row)} |" for row in cache_rows(soak)),
        "",
        f"![Resident memory of each worker and p99 latency, each minute]({plot_path})",
        "",
        "### Targets",
        "",
        *targets(soak, soaked),
    ]
    return "\n".join(lines) + "\n"


def targets(soak: Soak, soaked: Bucket) -> list[str]:
    lines = []
    for number, pid in enumerate(soak.workers, 1):
        last, highest = growth(soak.samples, pid)
        met = "met" if last <= GROWTH_TARGET and not soak.restarted else "**not met**"
        lines.append(
            f"- Worker {number}'s RSS from the end of the warm-up to the last minute: "
            f"{last:+.1%} (highest {highest:+.1%}); target ≤ +5%: {met}."
        )
    rows = cache_rows(soak)
    missed = [row[0] for row in rows if row[4].startswith("**no**")]
    unbounded = [row[0] for row in rows if row[4] == "n/a: no bound of its own"]
    lines.append(
        "- Every cache the traffic fills reaches its bound: "
        + ("met." if not missed else f"**not met** ({', '.join(missed)}).")
        + (f" Without a bound of its own: {', '.join(unbounded)}." if unbounded else "")
    )
    errors = sum(soaked.errors.values()) + sum(soak.warmup.errors.values())
    met = "met" if errors == 0 else "**not met**"
    lines.append(f"- Errors (warm-up and soak): {errors}; target 0: {met}.")
    if soak.restarted:
        lines.append("- A worker was restarted during the soak (its pid changed).")
    return [*lines, ""]


def plot(soak: Soak, path: Path) -> None:
    """RSS of each worker (top) and p50/p99 (bottom), minute by minute."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import MaxNLocator

    figure, (memory, latency) = pyplot.subplots(2, 1, figsize=(8, 6), sharex=True)
    minutes = [s.minute for s in soak.samples]
    for number, pid in enumerate(soak.workers, 1):
        memory.plot(minutes, [s.rss_mib.get(pid, math.nan) for s in soak.samples], marker="o",
                    label=f"worker {number}")  # fmt: skip
    memory.set_ylabel("RSS (MiB)")
    memory.set_ylim(bottom=0)
    memory.legend(loc="lower right")
    memory.set_title("wristband-django soak: memory and latency each minute")
    later = soak.samples[1:]
    latency.plot([s.minute for s in later],
                 [percentile(s.bucket.all_latencies(), 0.99) for s in later], marker="o",
                 label="p99", color="tab:red")  # fmt: skip
    latency.plot([s.minute for s in later], [median(s.bucket.all_latencies()) for s in later],
                 marker="o", label="p50", color="tab:gray")  # fmt: skip
    latency.set_ylabel("latency (ms)")
    latency.set_ylim(bottom=0)
    latency.set_xlabel("minute of the soak (0: end of the warm-up)")
    latency.legend(loc="lower right")
    latency.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    work = BENCH_DIR / "results" / "work-soak"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.monotonic()
    database, problem = postgres_database(args.postgres, DATABASE)
    if problem:
        print(f"… {problem}: the admin rows go to SQLite", file=sys.stderr, flush=True)
    redis = RedisServer(work)
    try:
        soak = run_soak(args, work, redis, database)
        machine = machine_line(redis, soak.database)
    finally:
        redis.stop()
        if database:
            with psycopg.connect(args.postgres, autocommit=True, connect_timeout=5) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
    results_plot = BENCH_DIR / "results" / "soak.png"
    plot(soak, results_plot)
    section = render(soak, machine, "images/performance-soak.png")
    print(section)
    for kind, reasons in soak.error_samples.items():
        print(f"errors of {kind}, first ones: {'; '.join(reasons)}", file=sys.stderr)
    print(f"IdP calls during the soak: {soak.idp_calls}", file=sys.stderr)
    print(f"(took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    (BENCH_DIR / "results" / "soak.md").write_text(
        section.replace("images/performance-soak.png", "soak.png")
    )
    if not args.no_doc:
        from bench.report import write_doc

        DOC_PLOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(results_plot, DOC_PLOT)
        write_doc(section, START, END)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
