"""Scaling out and Redis failover, measured on the deployment that
tests/deployment/scale_harness.py starts (the one tests/deployment/test_scale_out.py and
tests/deployment/test_redis_failover.py test): a refresh storm through HAProxy over three app
servers, a logout seen by the others, then Redis failovers under load. Started by ``python3
benchmarks/scale.py`` (see its --help); writes its tables into docs/PERFORMANCE.md between the
scale markers and into results/scale.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import requests

from tests.deployment.scale_failover import FailoverRun, run_failover
from tests.deployment.scale_harness import (
    concurrent_gets,
    deployment,
    find_binary,
    json_body,
    log_in,
    log_out,
)

BENCH_DIR = Path(__file__).resolve().parent.parent
DOC = BENCH_DIR.parent / "docs" / "PERFORMANCE.md"
START, END = "<!-- scale:start -->", "<!-- scale:end -->"
SERVERS = 3
WORKERS, THREADS = 2, 12  # per app server: gthread workers x threads
STORM_REFRESH_DELAY_S = 0.3
#: The app's defaults, set explicitly: a lock the dead primary's holder could not release
#: blocks its session until it expires.
FAILOVER_AUTH = {"refresh_timeout": 10, "refresh_lock_timeout": 15}
EXPIRED_AT_ONCE = 60  # an access token lasting the default 60 s buffer is expired when issued


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/scale.py", description=__doc__)
    parser.add_argument("--storm-requests", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=20, help="sessions in each failover")
    parser.add_argument(
        "--random-kills", type=int, default=3, help="failovers with the primary killed 3-5 s in"
    )
    parser.add_argument("--token-life", type=int, default=2, help="access token lifetime (s)")
    parser.add_argument("--refresh-delay", type=float, default=0.1, help="fake's refresh latency")
    parser.add_argument("--down-after-ms", type=int, default=1000, help="Sentinel's setting")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/PERFORMANCE.md")
    return parser.parse_args(argv)


# --- scale-out: a storm through the proxy, a logout --------------------------------------------


@dataclass(frozen=True)
class ScaleOut:
    statuses: Counter[int]
    token_calls: int
    replayed_refresh_tokens: int
    served: dict[str, int]
    pids: int
    p50_ms: float
    p99_ms: float
    logout_status: int
    after_logout: dict[str, int]  # where: status of the next request


def scale_out(work: Path, requests_count: int) -> ScaleOut:
    with deployment(
        work, servers=SERVERS, workers=WORKERS, threads=THREADS,
        fake_options={"access_token_ttl": EXPIRED_AT_ONCE},
    ) as site:  # fmt: skip
        fake = site.fake
        cookie = log_in(site.url, fake)
        fake.access_token_ttl = 3600
        for _ in range(2):  # every worker thread serves a request first
            concurrent_gets(site.proxy.port, "/open/", None, requests_count)
        fake.inject("token", delay=STORM_REFRESH_DELAY_S, grant_type="refresh_token")
        fake.reset_records()
        before = site.access_counts("/api/whoami/")
        answers = concurrent_gets(site.proxy.port, "/api/whoami/", cookie, requests_count)
        # Gunicorn logs a request after its answer has left: wait for every line.
        served = site.served_since(before, "/api/whoami/", requests_count)
        calls = fake.calls("token", grant_type="refresh_token")
        presented = [call.form.get("refresh_token") for call in calls]
        # A logout on the first server, then the next request on the others and the proxy.
        other = log_in(site.url, fake)
        first, *others = site.servers
        logout = log_out(first.url, other)
        after_logout = {
            server.name: requests.get(
                f"{server.url}/api/whoami/", cookies={"sessionid": other}, timeout=10
            ).status_code
            for server in others
        }
        after_logout["proxy"] = requests.get(
            f"{site.url}/api/whoami/", cookies={"sessionid": other}, timeout=10
        ).status_code
    latencies = sorted(answer.ms for answer in answers)
    return ScaleOut(
        statuses=Counter(answer.status for answer in answers),
        token_calls=len(calls),
        replayed_refresh_tokens=len(presented) - len(set(presented)),
        served=served,
        pids=len({json_body(a)["pid"] for a in answers if a.status == 200}),
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))],
        logout_status=logout.status_code,
        after_logout=after_logout,
    )


# --- Redis failover ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failover:
    label: str
    reads: str
    warmup_s: float
    run: FailoverRun


def failover(
    work: Path, args: argparse.Namespace, label: str, *, hold: bool = False,
    replica_reads: bool = False,
) -> Failover:  # fmt: skip
    warmup = random.uniform(3.0, 5.0)  # noqa: S311 - a moment, not a secret
    with deployment(
        work, servers=SERVERS, sentinel=True, replica_reads=replica_reads, workers=WORKERS,
        threads=THREADS, down_after_ms=args.down_after_ms, auth=FAILOVER_AUTH,
    ) as site:  # fmt: skip
        run = run_failover(
            site,
            sessions=args.sessions,
            token_life_s=args.token_life,
            refresh_delay_s=args.refresh_delay,
            warmup_s=warmup,
            hold_a_refresh=hold,
        )
    reads = "replica (bare `LOCATION` string)" if replica_reads else "primary"
    return Failover(label, reads, warmup, run)


# --- the tables ----------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _statuses(counts: Counter[str] | Counter[int]) -> str:
    return ", ".join(f"{n} x {status}" for status, n in sorted(counts.items(), key=str)) or "none"


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if "model name" in line),
        platform.processor() or "unknown CPU",
    )
    mem_kib = next(int(line.split()[1]) for line in _lines("/proc/meminfo") if "MemTotal" in line)
    return (
        f"{datetime.date.today():%Y-%m-%d}, {cpu}, {os.cpu_count()} cores, "
        f"{mem_kib / 2**20:.1f} GiB RAM, Linux {platform.release()}; "
        f"Python {platform.python_version()}, Django {version('Django')}, "
        f"django-redis {version('django-redis')}, redis-py {version('redis')}, "
        f"gunicorn {version('gunicorn')}, {_binary_version('redis-server', '--version', 2)}, "
        f"{_binary_version('haproxy', '-v', 2)}."
    )


def _binary_version(name: str, flag: str, field: int) -> str:
    path = find_binary(name)
    if path is None:
        return f"{name} missing"
    out = subprocess.run([path, flag], capture_output=True, text=True, check=False)  # noqa: S603
    words = out.stdout.split()
    found = words[field] if len(words) > field else "?"
    return f"{name} {found.removeprefix('v=')}"


def _lines(path: str) -> list[str]:
    return Path(path).read_text().splitlines() if Path(path).exists() else []


def render(args: argparse.Namespace, storm: ScaleOut, failovers: list[Failover]) -> str:
    lines = [
        "## Scaling out and Redis failover",
        "",
        "Generated by `python3 benchmarks/scale.py` (about four minutes; loopback only). "
        "The deployment is the one `tests/deployment/test_scale_out.py` and "
        "`tests/deployment/test_redis_failover.py` "
        "test: [Deployment and scaling](deployment.md#scaling-out-and-redis-failover) "
        "describes it and what the figures mean for you.",
        "",
        f"Measured {machine()}",
        "",
        *storm_section(args, storm),
        *failover_section(args, failovers),
        "### Targets",
        "",
        *targets(storm, failovers),
    ]
    return "\n".join(lines) + "\n"


STORM_HEADER = [
    "answers", "token calls", "replayed refresh tokens", "served by app1 / app2 / app3",
    "worker processes", "p50 ms", "p99 ms", "logout on app1", "next request after it",
]  # fmt: skip


def storm_section(args: argparse.Namespace, storm: ScaleOut) -> list[str]:
    served = " / ".join(str(n) for n in storm.served.values())
    after = ", ".join(f"{where} {status}" for where, status in storm.after_logout.items())
    return [
        f"### Three app servers behind HAProxy: a refresh storm, a logout "
        f"({SERVERS} gunicorn masters, {WORKERS} gthread workers x {THREADS} threads each, "
        "round robin, one Redis)",
        "",
        f"{args.storm_requests} concurrent requests on one session whose access token has "
        f"expired, sent through the proxy; the fake answers the refresh after "
        f"{STORM_REFRESH_DELAY_S * 1000:.0f} ms, refresh-token rotation on. Then another "
        "session logs out on app1, and its next request goes to app2, app3 and the proxy.",
        "",
        *table(
            STORM_HEADER,
            [
                [
                    _statuses(storm.statuses),
                    storm.token_calls,
                    storm.replayed_refresh_tokens,
                    served,
                    storm.pids,
                    f"{storm.p50_ms:.0f}",
                    f"{storm.p99_ms:.0f}",
                    storm.logout_status,
                    after,
                ]
            ],
        ),
    ]


FAILOVER_HEADER = [
    "run", "reads", "killed after s", "refreshes at Wristband at the kill",
    "refreshes that lost their tokens (received, ms before the kill; < 0: after)",
    "kill → first failure ms", "Sentinels promoted after s", "failover window s",
    "answers in the window", "slowest answer in it ms", "answers after it, not 200",
    "locks stranded", "slowest answer after it s", "sessions that got a 401",
    "sessions usable afterwards", "families revoked",
]  # fmt: skip


def failover_row(failover: Failover) -> list[object]:
    run = failover.run
    first = run.first_failure
    lost = sorted(run.lost_refreshes_at)
    return [
        failover.label,
        failover.reads,
        f"{failover.warmup_s:.1f}",
        run.in_flight_at_kill,
        f"{len(lost)}" + (f" ({', '.join(str(round(-at * 1000)) for at in lost)})" if lost else ""),
        f"{(first.received - run.killed_at) * 1000:.0f}" if first else "no failure",
        f"{run.promoted_at - run.killed_at:.2f}",
        f"{run.window_s:.2f}" if run.window_s is not None else "did not close",
        _statuses(run.by_status(run.in_window())),
        f"{run.slowest_answer_in_window_s * 1000:.0f}",
        _statuses(
            Counter({k: n for k, n in run.by_status(run.after_window()).items() if k != "200"})
        ),
        run.stranded_locks,
        f"{run.slowest_answer_after_window_s:.1f}",
        run.sessions_answered(401),
        f"{run.usable_after}/{run.sessions} ({run.usable_after / run.sessions:.0%})",
        run.families_revoked,
    ]


def failover_section(args: argparse.Namespace, failovers: list[Failover]) -> list[str]:
    total = sum(len(f.run.answers) for f in failovers)
    return [
        f"### Redis failover under load ({len(failovers)} runs, {total:,} requests)",
        "",
        "Redis: a primary, one replica and three Sentinels (quorum 2, "
        f"`down-after-milliseconds` {args.down_after_ms}), sessions and refresh locks through "
        "django-redis's `SentinelClient`. Three app servers behind HAProxy as above, with "
        f"`refresh_timeout` {FAILOVER_AUTH['refresh_timeout']} s and `refresh_lock_timeout` "
        f"{FAILOVER_AUTH['refresh_lock_timeout']} s (the defaults). {args.sessions} logged-in "
        "sessions each send requests through the proxy in a loop (20 ms apart); access tokens "
        f"last {args.token_life} s and the fake answers a refresh after "
        f"{args.refresh_delay * 1000:.0f} ms (rotation on), so refreshes are under way all "
        "the time. The primary is killed with SIGKILL (a machine that dies: no shutdown, "
        "nothing flushed), at a random moment, or the moment a refresh is held at the fake "
        "(*held refresh*, released right after the kill). The load goes on until a lock "
        "taken before the kill has expired, plus a token lifetime; then each session makes "
        "one more request once its tokens have expired.",
        "",
        "*refreshes at Wristband at the kill*: calls the fake had received and not answered. "
        "*refreshes that lost their tokens*: their refresh token was presented again later, "
        "so the new tokens never reached the new primary; in brackets, how long before the "
        "kill the fake received each (negative: after the kill, by a request holding a lock "
        "taken before it). *failover window*: first failed answer → first 200 to "
        "a request sent after it. *answers in the window*: by status; the 503s carry "
        "`Retry-After`. *answers after it*: a session logged out answers 401 to each request "
        "of its loop. *locks stranded*: refresh locks on the new primary right after the "
        "promotion that were taken before the kill (their holders' releases went to the dead "
        "primary); a request that needs one waits for it to expire. *families revoked*: "
        "refresh tokens presented twice (with rotation, Wristband then revokes the token "
        "family: the user is logged out). *sessions usable afterwards*: the last request "
        "answered 200.",
        "",
        *table(FAILOVER_HEADER, [failover_row(failover) for failover in failovers]),
    ]


def targets(storm: ScaleOut, failovers: list[Failover]) -> list[str]:
    lines: list[str] = []

    def check(name: str, met: bool, measured: str) -> None:
        lines.append(f"- {name}: {measured}, {'met' if met else '**missed**'}")

    check("storm over three servers: token calls = 1", storm.token_calls == 1,
          str(storm.token_calls))  # fmt: skip
    non_200 = sum(n for status, n in storm.statuses.items() if status != 200)
    check("storm: non-200 answers = 0", non_200 == 0, str(non_200))
    check("storm spread over every server", all(storm.served.values()),
          " / ".join(str(n) for n in storm.served.values()))  # fmt: skip
    seen = all(status == 401 for status in storm.after_logout.values())
    check("a logout is seen by the other servers (401)", seen, str(storm.after_logout))
    errors = sum(len(f.run.server_errors) for f in failovers)
    check("failovers: 500s, 503s without Retry-After, unanswered = 0", errors == 0, str(errors))
    lost_401 = sum(f.run.sessions_answered(401) for f in failovers)
    check("failovers: sessions logged out (401) by the failover = 0", lost_401 == 0, str(lost_401))
    usable = sum(f.run.usable_after for f in failovers)
    sessions = sum(f.run.sessions for f in failovers)
    check("failovers: sessions usable afterwards = 100%", usable == sessions,
          f"{usable}/{sessions} ({usable / sessions:.1%})")  # fmt: skip
    revoked = sum(f.run.families_revoked for f in failovers)
    check("failovers: refresh-token families revoked = 0", revoked == 0, str(revoked))
    return lines


def write_doc(section: str) -> None:
    """Replace the generated section of docs/PERFORMANCE.md (between the scale markers)."""
    text = DOC.read_text()
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{START}\n{section}{END}{tail}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    results = BENCH_DIR / "results"
    work = results / "scale-work"  # the servers' logs, kept for a look afterwards
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print("… three app servers behind HAProxy: storm, logout", file=sys.stderr, flush=True)
    storm = scale_out(Path(tempfile.mkdtemp(dir=work, prefix="scale-out-")), args.storm_requests)
    plans = [(f"random kill {n}", {}) for n in range(1, args.random_kills + 1)]
    plans += [("held refresh", {"hold": True}), ("random kill", {"replica_reads": True})]
    failovers = []
    for label, options in plans:
        print(f"… Redis failover: {label} {options or ''}", file=sys.stderr, flush=True)
        directory = Path(tempfile.mkdtemp(dir=work, prefix="failover-"))
        failovers.append(failover(directory, args, label, **options))
    section = render(args, storm, failovers)
    print(section)
    print(f"(took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    (results / "scale.md").write_text(section)
    if not args.no_doc:
        write_doc(section)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
