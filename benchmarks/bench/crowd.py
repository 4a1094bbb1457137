"""i. Logins under a crowd: ``python3 benchmarks/run.py --only-crowd``.

Three gunicorn servers, up at once, with the same configuration (``--workers`` gthread
workers of ``--threads`` threads each, ``--preload``, Redis sessions on the run's own
redis-server): ours with the admin's ``LoginSession`` row on PostgreSQL (the machine's
server, ``--postgres``, a fresh database ``wristband_bench_crowd`` dropped at the end), ours
without the row (``track_sessions: False``), and wristband-django-auth 1.1.0's.

A crowd is ``--concurrency`` (20) logins started at once (a barrier), each by a user of its
own in a tenant of its own (``?tenant_name=crowdNN``): Login endpoint → the fake's authorize
(the browser's visit, with the tenant's host and the user named) → Callback endpoint, each
with a fresh browser. After two unrecorded crowds per server (configuration, keys,
threads, connections), ``--rounds`` rounds of one crowd per server in turn, the order rotated
every round, so that a shared machine's drift falls on every server alike; and all of that
``--generations`` (3) times, with every server started afresh, the rounds shared out among
them: a process's own speed (where its memory landed, its hash seed) differs from the next
one's by as much as the gap being measured, so the p99 pools several processes per package.

Per server: the server-side login time (the ``Server-Timing`` of the Login response plus
the Callback response, which ``benchsite/wsgi.py`` adds: Django's own time, waits for the
GIL among the worker's threads and for the fake included, the browser's visit to the fake
not), its p50, p99 and max; the client's wall time of the whole login; the workers' CPU
per login (``/proc``); the calls each login made to the fake; and the errors: any answer
other than the Login's 302 and the Callback's 302 with a session cookie, the fake's refusal,
an exception or a timeout.

Fairness: the fake Wristband runs in a process of its own (``bench/crowd_fake.py``), so the
runner's client threads do not share its GIL, and it speaks https itself, with a
certificate made for the run that both packages trust (``REQUESTS_CA_BUNDLE`` for ours,
``SSL_CERT_FILE`` for httpx in theirs): both pay for TLS to Wristband, as in production,
and no relay stands between either of them and the fake.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import requests

from bench.crowd_fake import CLIENT_ID, tenant_name, user_id
from bench.infra import (
    BENCH_DIR,
    REPO_DIR,
    SERVERS,
    VENVS,
    RedisServer,
    Server,
    django_admin,
    free_port,
    postgres_database,
    self_signed_certificate,
)
from bench.report import table
from bench.scenarios import server_ms

START, END = "<!-- benchmark-crowd:start -->", "<!-- benchmark-crowd:end -->"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "wristband_bench_crowd"
RESULT = BENCH_DIR / "results" / "crowd.md"
#: The fake's browser protocol: the user who enters credentials at its authorize page.
USER_HEADER = "X-Fake-Wristband-User"
REQUEST_TIMEOUT_S = 30.0
CROWD_TIMEOUT_S = 120.0
WARMUP_CROWDS = 2  # per server, not counted: every thread has served and connected
PAUSE_S = 0.25  # between crowds: the previous one's connections close, the workers go idle
PACKAGE_NAMES = {"ours": "wristband-django", "official": "wristband-django-auth 1.1.0"}


@dataclass(frozen=True)
class Variant:
    label: str
    package: str
    name: str  # its server's log and SQLite file
    auth: dict[str, Any] = field(default_factory=dict)  # more WRISTBAND_AUTH (ours)
    env: dict[str, str] = field(default_factory=dict)  # more BENCH_* variables


@dataclass(frozen=True)
class Outcome:
    """One login: server-side ms, the client's wall ms, and what went wrong (None: nothing)."""

    server_ms: float = 0.0
    wall_ms: float = 0.0
    error: str | None = None


@dataclass
class VariantRun:
    variant: Variant
    outcomes: list[Outcome] = field(default_factory=list)
    cpu_seconds: float = 0.0  # the workers', during the measured crowds
    calls: Counter[str] = field(default_factory=Counter)  # to the fake, but the authorize page
    crowds: int = 0
    #: How many outcomes there were when each generation of servers stopped.
    generation_ends: list[int] = field(default_factory=list)

    @property
    def logins(self) -> int:
        return len(self.outcomes)

    @property
    def errors(self) -> Counter[str]:
        return Counter(o.error for o in self.outcomes if o.error is not None)

    @property
    def server_times(self) -> list[float]:
        return sorted(o.server_ms for o in self.outcomes if o.error is None)

    @property
    def wall_times(self) -> list[float]:
        return sorted(o.wall_ms for o in self.outcomes if o.error is None)


@dataclass(frozen=True)
class Setup:
    """What every server of the run shares."""

    fake_port: int
    client_secret: str
    cert: Path
    redis: RedisServer
    work: Path
    secret_key: str


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of ``ordered`` (sorted); NaN when it is empty."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py --only-crowd", description=__doc__)
    parser.add_argument("--only-crowd", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=60, help="crowds per server")
    parser.add_argument(
        "--generations", type=int, default=3, help="times the servers are started afresh"
    )
    parser.add_argument("--concurrency", type=int, default=20, help="logins per crowd")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--threads", type=int, default=10, help="gthread threads per worker")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="a URL of the server")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/PERFORMANCE.md")
    args = parser.parse_args(argv)
    if not 1 <= args.generations <= args.rounds:
        parser.error("--generations must be between 1 and --rounds")
    if args.concurrency < 1 or args.rounds < 1 or args.concurrency > 100:
        parser.error("--rounds ≥ 1 and 1 ≤ --concurrency ≤ 100")
    return args


# --- the fake Wristband, in a process of its own ------------------------------------------


class FakeProcess:
    """``bench.crowd_fake`` in a subprocess: its port, and what it received."""

    def __init__(self, port: int, cert: Path) -> None:
        self.port = port
        self.cert = cert

    def records(self) -> list[dict[str, Any]]:
        """What the fake received so far (endpoints and hosts, no secret)."""
        url = f"https://127.0.0.1:{self.port}/_fake/requests"
        answer = requests.get(url, verify=str(self.cert), timeout=REQUEST_TIMEOUT_S)
        answer.raise_for_status()
        records: list[dict[str, Any]] = answer.json()
        return records


@contextmanager
def fake_process(
    cert: Path, key: Path, tenants: int, client_secret: str, log: Path
) -> Iterator[FakeProcess]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(REPO_DIR)]),
        "CROWD_FAKE_CLIENT_SECRET": client_secret,
    }
    command = [str(VENVS["ours"] / "bin" / "python"), "-m", "bench.crowd_fake",
               "--cert", str(cert), "--key", str(key), "--tenants", str(tenants)]  # fmt: skip
    with log.open("ab") as err:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=BENCH_DIR, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=err,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the fake Wristband did not start; see {log}")
        yield FakeProcess(int(json.loads(line)["port"]), cert)
    finally:
        if process.stdin is not None:
            with suppress(OSError):
                process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# --- the servers ----------------------------------------------------------------------------


def variants(postgres_url: str) -> tuple[list[Variant], str | None]:
    """The variants, and why the PostgreSQL one is left out (None when it is in)."""
    chosen = [
        Variant(
            "no admin row (`track_sessions: False`)",
            "ours",
            "crowd-ours-untracked",
            auth={"track_sessions": False},
        ),
        Variant("(writes nothing to the database)", "official", "crowd-official"),
    ]
    database, problem = postgres_database(postgres_url, DATABASE)
    if database is not None:
        chosen.insert(
            0,
            Variant(
                "admin row on PostgreSQL",
                "ours",
                "crowd-ours-postgres",
                env={"BENCH_POSTGRES_URL": database},
            ),
        )
    return chosen, problem


def drop_database(postgres_url: str) -> None:
    with (
        suppress(psycopg.Error),
        psycopg.connect(postgres_url, autocommit=True, connect_timeout=5) as connection,
    ):
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def server_env(setup: Setup, variant: Variant, port: int) -> dict[str, str]:
    """The environment of ``variant``'s server on ``port``: both packages talk https to the
    fake on ``localhost:<its port>`` and trust the run's certificate."""
    base = f"http://127.0.0.1:{port}"
    auth: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": setup.client_secret,
        "wristband_application_vanity_domain": f"localhost:{setup.fake_port}",
        "login_url": f"{base}/auth/login/",
        "redirect_uri": f"{base}/auth/callback/",
        "dangerously_disable_secure_cookies": True,  # the servers are plain http on 127.0.0.1
    }
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchsite.settings",
        "BENCH_PACKAGE": variant.package,
        "BENCH_STORE": "redis",
        "BENCH_SECRET_KEY": setup.secret_key,
        "BENCH_SQLITE_PATH": str(setup.work / f"{variant.name}.sqlite3"),
        "BENCH_REDIS_URL": setup.redis.url,
        **variant.env,
    }
    if variant.package == "ours":
        auth = {**auth, "protected_paths": ["/api/"], **variant.auth}
        environment["PYTHONPATH"] = os.pathsep.join([str(BENCH_DIR), str(REPO_DIR)])
        environment["REQUESTS_CA_BUNDLE"] = str(setup.cert)  # requests' variable
    else:
        environment["PYTHONPATH"] = str(BENCH_DIR)
        environment["SSL_CERT_FILE"] = str(setup.cert)  # httpx's
    environment["BENCH_WRISTBAND_AUTH"] = json.dumps(auth)
    return environment


# --- one login, one crowd --------------------------------------------------------------------


def log_in(base: str, fake: FakeProcess, index: int, barrier: threading.Barrier) -> Outcome:
    """User ``index`` logs in to its tenant, starting with the rest of the crowd."""
    browser, at_fake = requests.Session(), requests.Session()
    try:
        barrier.wait(CROWD_TIMEOUT_S)
    except threading.BrokenBarrierError:
        return Outcome(error="the crowd did not gather")
    started = time.perf_counter()
    try:
        with browser, at_fake:
            login = browser.get(
                f"{base}/auth/login/?tenant_name={tenant_name(index)}",
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT_S,
            )
            if login.status_code != 302 or "Location" not in login.headers:
                return Outcome(error=f"Login answered {login.status_code}")
            # The browser's visit: to 127.0.0.1 (the certificate names it), with the host of
            # the authorize URL (the tenant's), the user entering credentials.
            authorize = urlsplit(login.headers["Location"])
            page = at_fake.get(
                urlunsplit(("https", f"127.0.0.1:{fake.port}", *authorize[2:4], "")),
                headers={"Host": authorize.netloc, USER_HEADER: quote(user_id(index), safe="")},
                verify=str(fake.cert),
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT_S,
            )
            if page.status_code != 302 or "Location" not in page.headers:
                return Outcome(error=f"the fake's authorize answered {page.status_code}")
            callback = browser.get(
                page.headers["Location"], allow_redirects=False, timeout=REQUEST_TIMEOUT_S
            )
            if callback.status_code != 302 or "sessionid" not in browser.cookies:
                return Outcome(error=f"Callback answered {callback.status_code} (no session)")
            wall_ms = (time.perf_counter() - started) * 1000
            return Outcome(server_ms(login) + server_ms(callback), wall_ms)
    except requests.Timeout:
        return Outcome(error="timeout")
    except (requests.RequestException, KeyError, ValueError) as exc:
        return Outcome(error=type(exc).__name__)


def crowd(server: Server, fake: FakeProcess, concurrency: int, run: VariantRun | None) -> None:
    """``concurrency`` logins at once on ``server``; recorded into ``run`` (None: warm-up)."""
    barrier = threading.Barrier(concurrency)
    outcomes: list[Outcome | None] = [None] * concurrency

    def one(index: int) -> None:
        outcomes[index] = log_in(server.base, fake, index, barrier)

    received = len(fake.records())
    cpu_before = server.workers_cpu_seconds()
    threads = [
        threading.Thread(target=one, args=(i,), name=f"login-{i}", daemon=True)
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + CROWD_TIMEOUT_S + 2 * REQUEST_TIMEOUT_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    cpu = server.workers_cpu_seconds() - cpu_before
    calls = Counter(
        r["endpoint"] for r in fake.records()[received:] if r["endpoint"] != "authorize"
    )
    if run is None:
        return
    run.crowds += 1
    run.cpu_seconds += cpu
    run.calls.update(calls)
    run.outcomes += [o if o is not None else Outcome(error="no answer in time") for o in outcomes]


def measure(setup: Setup, fake: FakeProcess, chosen: list[Variant], args: Any) -> list[VariantRun]:
    """``args.generations`` times: start every server afresh, warm each with
    ``WARMUP_CROWDS`` crowds, then its share of ``args.rounds`` rounds of one crowd per
    server, the order rotated every round. New processes each time: a process's own speed
    (where its memory landed, its hash seed) differs by more than the gap being measured."""
    runs = [VariantRun(variant) for variant in chosen]
    done = 0
    for generation in range(args.generations):
        rounds = args.rounds * (generation + 1) // args.generations - done
        with ExitStack() as stack:
            servers = [stack.enter_context(start(setup, variant, args)) for variant in chosen]
            for _ in range(WARMUP_CROWDS):  # configuration, keys, threads, connections
                for server in servers:
                    crowd(server, fake, args.concurrency, None)
            for round_number in range(done, done + rounds):
                shift = round_number % len(servers)
                order = list(zip(servers, runs, strict=True))
                for server, run in order[shift:] + order[:shift]:
                    time.sleep(PAUSE_S)
                    crowd(server, fake, args.concurrency, run)
                print(f"… round {round_number + 1}/{args.rounds}", file=sys.stderr, flush=True)
        done += rounds
        for run in runs:
            run.generation_ends.append(len(run.outcomes))
    return runs


@contextmanager
def start(setup: Setup, variant: Variant, args: Any) -> Iterator[Server]:
    """``variant``'s gunicorn server on a free port, its database migrated."""
    port = free_port()
    env = server_env(setup, variant, port)
    Path(env["BENCH_SQLITE_PATH"]).unlink(missing_ok=True)
    django_admin(variant.package, env, "migrate", "--noinput", "-v0")
    log = setup.work / f"gunicorn-{variant.name}.log"
    with SERVERS["gunicorn"](
        variant.package, port, env, args.workers, log, threads=args.threads
    ) as server:
        yield server


# --- the section ------------------------------------------------------------------------------


def postgres_version(postgres_url: str) -> str | None:
    with (
        suppress(psycopg.Error),
        psycopg.connect(postgres_url, connect_timeout=5) as connection,
    ):
        row = connection.execute("SHOW server_version").fetchone()
        return str(row[0]).split()[0] if row else None
    return None


def render(
    machine_line: str, args: Any, runs: list[VariantRun], postgres_problem: str | None
) -> str:
    header = [
        "package", "login", "logins", "server ms p50", "server ms p99", "server ms max",
        "wall ms p50", "wall ms p99", "worker CPU ms/login", "calls to the fake per login",
        "errors",
    ]  # fmt: skip
    rows = []
    for run in runs:
        times, walls = run.server_times, run.wall_times
        calls = ", ".join(f"{name} {n / run.logins:g}" for name, n in sorted(run.calls.items()))
        errors = run.errors
        rows.append([
            PACKAGE_NAMES[run.variant.package],
            run.variant.label,
            run.logins,
            f"{percentile(times, 0.5):.1f}",
            f"{percentile(times, 0.99):.1f}",
            f"{max(times, default=math.nan):.1f}",
            f"{percentile(walls, 0.5):.1f}",
            f"{percentile(walls, 0.99):.1f}",
            f"{run.cpu_seconds / run.logins * 1000:.1f}",
            f"{sum(run.calls.values()) / run.logins:g} ({calls})",
            sum(errors.values()) if not errors else
            f"{sum(errors.values())}: " + ", ".join(f"{n} x {e}" for e, n in errors.items()),
        ])  # fmt: skip
    lines = [
        f"### i. Logins under a crowd: {args.concurrency} concurrent logins, "
        f"{args.concurrency} users in {args.concurrency} tenants ({args.rounds} crowds per "
        f"server over {args.generations} generations of servers, gunicorn: {args.workers} "
        f"gthread workers x {args.threads} threads each)",
        "",
        f"Measured {machine_line}",
        "",
        f"Three servers up at once, the same configuration for all ({args.workers} gthread "
        f"workers x {args.threads} threads, `--preload`, Redis sessions). A crowd: "
        f"{args.concurrency} logins started at once (a barrier), each a fresh browser, "
        "Login → the fake's authorize → Callback, each by a user of its own in a tenant of "
        "its own. One crowd per server in turn, the order rotated every round, after "
        f"{WARMUP_CROWDS} unrecorded crowds each; the servers are started afresh "
        f"{args.generations} times, the rounds shared out among them (a process's own speed "
        "differs from the next one's by as much as the gap). *server ms*: the Login and "
        "Callback views "
        "together (`Server-Timing`: Django's time, the wait for the worker's GIL and for the fake "
        "included), without the browser's visit to the fake; *wall ms*: the client's time "
        "for the whole login, that visit included; percentiles by nearest rank. *worker CPU*: "
        "the server's workers' CPU time (`/proc`) over the measured crowds, per login. "
        "*errors*: any answer but the two 302s (the Callback's with a session cookie), an "
        "exception or a timeout.",
        "",
        "The fake Wristband runs in a process of its own (the runner's client threads do not "
        "share its GIL) and speaks https itself, with a certificate made for the run that "
        "both packages trust (`REQUESTS_CA_BUNDLE` for ours, `SSL_CERT_FILE` for theirs): "
        "both pay for TLS to Wristband, and no relay stands in between (unlike d, where only "
        "the official package pays for TLS, through a relay).",
        "",
    ]
    if postgres_problem:
        lines += [f"(Without PostgreSQL: {postgres_problem}.)", ""]
    lines += table(header, rows)
    lines += ["#### Targets", "", *targets(runs)]
    return "\n".join(lines) + "\n"


def generations_of(run: VariantRun) -> list[list[float]]:
    """The server times of each generation of servers, each sorted: how far the p99 moves
    between them says how steady it is."""
    bounds = [0, *run.generation_ends]
    return [
        sorted(o.server_ms for o in run.outcomes[a:b] if o.error is None)
        for a, b in itertools.pairwise(bounds)
    ]


def targets(runs: list[VariantRun]) -> list[str]:
    """Issue 27, point 2: our p99 ≤ the official one's, for the same work (a login without
    the admin row, which writes nothing to the database, as theirs); no error. The admin
    row's price is shown beside it: the issue accepts it as the admin feature's price."""
    by_name = {run.variant.name: run for run in runs}
    ours = by_name.get("crowd-ours-untracked")
    theirs = next((r for r in runs if r.variant.package == "official"), None)
    lines = []
    if ours is not None and theirs is not None:
        mine, their = percentile(ours.server_times, 0.99), percentile(theirs.server_times, 0.99)
        met = mine <= their
        by_generation = ", ".join(
            f"{percentile(mine_g, 0.99):.1f} vs {percentile(their_g, 0.99):.1f}"
            for mine_g, their_g in zip(generations_of(ours), generations_of(theirs), strict=True)
        )
        lines.append(
            f"- p99 of ours ≤ p99 of the official package, the same work (no admin row, "
            f"`track_sessions: False`): {mine:.1f} vs {their:.1f} ms (ratio "
            f"{mine / their:.2f}), {'met' if met else '**not met**'} (p99 of each generation of "
            f"servers, ours vs theirs: {by_generation} ms)"
        )
        tracked = by_name.get("crowd-ours-postgres")
        if tracked is not None:
            row = percentile(tracked.server_times, 0.99)
            lines.append(
                f"- the admin row's price under this crowd (accepted as the admin feature's "
                f"price, no target): p99 {row:.1f} ms with the row on PostgreSQL, "
                f"{row - mine:+.1f} ms over the same login without it, "
                f"{row - their:+.1f} ms over the official package"
            )
    else:
        lines.append("- p99 of ours ≤ the official's: not measured")
    errors = sum(sum(run.errors.values()) for run in runs)
    logins = sum(run.logins for run in runs)
    lines.append(
        f"- errors = 0: {errors} in {logins} logins, {'met' if errors == 0 else '**not met**'}"
    )
    return lines


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from bench.report import DOC, machine, write_doc

    started = time.monotonic()
    # A directory of its own: the other scenarios empty results/work/ when they start.
    work = BENCH_DIR / "results" / "work-crowd"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cert, key = self_signed_certificate(work)
    store = RedisServer(work)
    client_secret = secrets.token_urlsafe(32)
    try:
        chosen, problem = variants(args.postgres)
        try:
            log = work / "fake-wristband.log"
            with fake_process(cert, key, args.concurrency, client_secret, log) as fake:
                setup = Setup(
                    fake.port, client_secret, cert, store, work, secrets.token_urlsafe(32)
                )
                print(f"… {len(chosen)} servers, crowds of {args.concurrency}", file=sys.stderr)
                runs = measure(setup, fake, chosen, args)
        finally:
            if problem is None:
                drop_database(args.postgres)
        machine_line = machine(store)
    finally:
        store.stop()
    version = postgres_version(args.postgres) if problem is None else None
    if version:
        machine_line = machine_line.rstrip(".") + f", PostgreSQL {version}."
    section = render(machine_line, args, runs, problem)
    print(section)
    print(f"(took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    RESULT.write_text(section)
    if not args.no_doc:
        text = DOC.read_text() if DOC.exists() else ""
        if START in text and END in text:
            write_doc(section, START, END)
        else:
            print(f"(docs/PERFORMANCE.md has no {START} marker: not written)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
