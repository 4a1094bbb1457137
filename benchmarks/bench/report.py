"""The tables (Markdown, printed and written into docs/PERFORMANCE.md) and the machine."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path

from bench.infra import REPO_DIR, RedisServer, executable
from bench.logins import LoginRun
from bench.scenarios import Options, Storm, Throughput, ViewStats

DOC = REPO_DIR / "docs" / "PERFORMANCE.md"
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"
#: f (rolling sessions) has markers of its own, so that ``--only-rolling`` rewrites it alone.
ROLLING_START, ROLLING_END = "<!-- benchmark-rolling:start -->", "<!-- benchmark-rolling:end -->"
STORE_NAMES = {"locmem": "LocMem", "redis": "Redis (django-redis)", "db": "db (SQLite)"}
PACKAGE_NAMES = {"ours": "wristband-django", "official": "wristband-django-auth 1.1.0"}
OVERHEAD_TARGET = 0.10
#: Issue 16, point 7: the valid-token path keeps ≥ 0.95 of the plain session read's req/s.
VALID_TOKEN_TARGET = 0.95


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def machine(store: RedisServer) -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if "model name" in line),
        platform.processor() or "unknown CPU",
    )
    mem_kib = next(int(line.split()[1]) for line in _lines("/proc/meminfo") if "MemTotal" in line)
    wrk = subprocess.run(  # noqa: S603
        [executable("wrk"), "--version"], capture_output=True, text=True, check=False
    ).stdout.split()[1]
    return (
        f"{datetime.date.today():%Y-%m-%d}, {cpu}, {os.cpu_count()} cores, "
        f"{mem_kib / 2**20:.1f} GiB RAM, Linux {platform.release()}; "
        f"Python {platform.python_version()}, Django {version('Django')}, "
        f"django-redis {version('django-redis')}, Redis {store.client.info()['redis_version']}, "
        f"gunicorn {version('gunicorn')}, wrk {wrk}."
    )


def _lines(path: str) -> list[str]:
    return Path(path).read_text().splitlines() if Path(path).exists() else []


def render(
    machine_line: str,
    options: Options,
    runs: list[Throughput],
    storms: list[Storm],
    logins: list[LoginRun],
    postgres_problem: str | None,
) -> str:
    ours_redis = next((r for r in runs if (r.package, r.store) == ("ours", "redis")), None)
    ours_storm = next((s for s in storms if s.package == "ours"), None)
    lines = [
        f"Measured {machine_line}",
        "",
        *views_section(options, runs),
        *ratio_section(runs),
        *storm_section(options, storms),
        *login_section(logins, postgres_problem),
        *bytes_section(runs),
        "### Targets (wristband-django on Redis, gunicorn: WSGI)",
        "",
        *targets(ours_redis, ours_storm),
        *login_targets(logins),
    ]
    return "\n".join(lines) + "\n"


def plain_vs_protected(run: Throughput) -> list[object]:
    """Table a's measured cells for one run, the plain view against the protected one."""
    plain, protected = run.plain, run.protected
    return [
        f"{plain.rps:,.0f}",
        f"{protected.rps:,.0f}",
        _ratio(protected.rps, plain.rps),
        f"{plain.p50_ms:.2f} → {protected.p50_ms:.2f}",
        f"{plain.p99_ms:.2f} → {protected.p99_ms:.2f}",
        f"{plain.cpu_us_per_request:.0f} → {protected.cpu_us_per_request:.0f} "
        f"({protected.cpu_us_per_request - plain.cpu_us_per_request:+.0f})",
        f"{_store_ops(plain)} → {_store_ops(protected)}",
        protected.idp_calls,
        plain.failures + protected.failures,
    ]


def views_section(options: Options, runs: list[Throughput]) -> list[str]:
    header = [
        "package", "sessions", "plain req/s", "protected req/s", "protected / plain",
        "p50 ms plain → protected", "p99 ms plain → protected",
        "worker CPU µs/req plain → protected",
        "store round trips/req plain → protected", "IdP calls", "failed requests",
    ]  # fmt: skip
    rows = [
        [
            PACKAGE_NAMES[run.package],
            STORE_NAMES[run.store],
            *plain_vs_protected(run),
        ]
        for run in runs
    ]
    return [
        f"### a. Protected JSON view with a valid access token (1 sync gunicorn worker; wrk: "
        f"1 thread, {options.connections} connections, {options.rounds} runs of "
        f"{options.duration:g} s per view, each after {options.warmup:g} s of warm-up)",
        "",
        "*plain*: the same view reading the same session, without any auth code. *store "
        "round trips*: Redis commands per request (`INFO commandstats` delta / requests), SQL "
        "queries per request, or none (LocMem is in-process). *IdP calls*: requests the fake "
        "Wristband received during the measured runs.",
        "",
        *table(header, rows),
    ]


def ratio_section(runs: list[Throughput]) -> list[str]:
    protected = {(run.package, run.store): run.protected.rps for run in runs}
    rows = [
        [
            STORE_NAMES[store],
            f"{protected[('ours', store)]:,.0f}",
            f"{protected[('official', store)]:,.0f}",
            f"{protected[('ours', store)] / protected[('official', store)]:.2f}",
        ]
        for store in STORE_NAMES
        if ("ours", store) in protected and ("official", store) in protected
    ]
    return [
        "### c. Ours / official on the same store (protected view, same run)",
        "",
        *table(["sessions", "wristband-django req/s", "official req/s", "ours / theirs"], rows),
    ]


def storm_section(options: Options, storms: list[Storm]) -> list[str]:
    header = [
        "package", "token calls", "replayed refresh tokens", "answers", "non-200",
        "p50 ms", "p99 ms", "next refresh",
    ]  # fmt: skip
    rows = [
        [
            PACKAGE_NAMES[s.package],
            s.token_calls,
            s.replayed_refresh_tokens,
            ", ".join(f"{n} x {status}" for status, n in sorted(s.statuses.items())),
            s.requests - s.statuses[200],
            f"{s.p50_ms:.0f}",
            f"{s.p99_ms:.0f}",
            s.next_refresh_status,
        ]
        for s in storms
    ]
    return [
        f"### b. Refresh storm: {options.storm_requests} concurrent requests on one session "
        f"whose access token has expired (Redis sessions, {options.storm_workers} sync "
        f"workers, refresh-token rotation on, the fake answers a refresh after "
        f"{options.refresh_delay * 1000:.0f} ms)",
        "",
        "*replayed refresh tokens*: refreshes presenting a refresh token that was already "
        "presented (with rotation, Wristband then revokes the whole token family). *next "
        "refresh*: the status of the session's next request once the tokens the storm got "
        "have expired too, i.e. whether the storm left a working refresh token behind.",
        "",
        *table(header, rows),
    ]


def login_section(logins: list[LoginRun], postgres_problem: str | None) -> list[str]:
    header = [
        "package", "login", "server ms/login (mean, median)", "outbound calls per login",
        "first login also calls", "store round trips per login",
    ]  # fmt: skip
    rows = [
        [
            PACKAGE_NAMES[run.variant.package],
            run.variant.label,
            f"{run.stats.server_ms_mean:.1f}, {run.stats.server_ms_p50:.1f}",
            f"{sum(run.stats.calls_per_login.values()):g} ({_calls(run.stats.calls_per_login)})",
            _calls(run.stats.first_login_extra) or "nothing more",
            f"{run.stats.redis_commands / run.stats.count:g} Redis + "
            f"{run.stats.sql_queries / run.stats.count:g} SQL",
        ]
        for run in logins
    ]
    count = logins[0].stats.count if logins else 0
    missing = [f"(Without PostgreSQL: {postgres_problem}.)", ""] if postgres_problem else []
    return [
        "### d. One full login (Login → fake authorize → Callback), timed server-side",
        "",
        "*server ms*: the Login and Callback views together (`Server-Timing`, Redis "
        "sessions), without the browser's visit to the fake's authorize page. *outbound "
        f"calls*: requests the server made to the fake Wristband. {count} logins per row, "
        "taken in turns (one per row per round), each row on a gunicorn server of its own.",
        "",
        *missing,
        *table(header, rows),
    ]


def login_targets(logins: list[LoginRun]) -> list[str]:
    """Issue 16, point 4: our login, admin row included, no slower than the official one."""
    official = next((run for run in logins if run.variant.package == "official"), None)
    lines = []
    for run in logins:
        if official is None or run.variant.package != "ours":
            continue
        ours_ms, theirs_ms = run.stats.server_ms_mean, official.stats.server_ms_mean
        met = ours_ms <= theirs_ms
        lines.append(
            f"- login time ≤ the official package's, {run.variant.label}: {ours_ms:.1f} vs "
            f"{theirs_ms:.1f} ms mean (ratio {ours_ms / theirs_ms:.2f}), "
            f"{'met' if met else '**missed**'}"
        )
    return lines


def bytes_section(runs: list[Throughput]) -> list[str]:
    rows = [
        [PACKAGE_NAMES[run.package], run.session_bytes.keys, f"{run.session_bytes.value_bytes:,}"]
        for run in runs
        if run.session_bytes
    ]
    return [
        "### e. Stored per logged-in session in Redis (right after one login)",
        "",
        *table(["package", "Redis keys", "bytes (sum of STRLEN)"], rows),
    ]


def _ratio(new: float, old: float) -> str:
    return f"{new / old:.3f} ({(new / old - 1) * 100:+.1f}%)"


def _store_ops(stats: ViewStats) -> str:
    parts = []
    if stats.commands:
        detail = ", ".join(
            f"{name.upper()} {n / stats.requests:.2f}" for name, n in stats.commands.items()
        )
        parts.append(f"{stats.commands_per_request:.2f} Redis ({detail})")
    if stats.queries_per_request:
        parts.append(f"{stats.queries_per_request:.2f} SQL")
    return " + ".join(parts) or "0 (in process)"


def _calls(calls: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {n:g}" for name, n in calls.items())


def targets(run: Throughput | None, storm: Storm | None, label: str = "") -> list[str]:
    """The target lines; ``label`` (e.g. " (async view)") follows each name of ``run``'s."""
    lines: list[str] = []

    def check(name: str, met: bool, measured: str) -> None:
        lines.append(f"- {name}: {measured}, {'met' if met else '**missed**'}")

    if run is not None:
        ratio = run.protected.rps / run.plain.rps
        cost = 1 - ratio
        check(
            f"throughput cost of the middleware ≤ 10%{label}",
            cost <= OVERHEAD_TARGET,
            f"{cost:.1%}",
        )
        # The worker's CPU per request gives the same ratio with less of a shared machine's
        # noise in it (a CPU-bound worker's req/s is 1 / its CPU per request): shown beside.
        cpu_ratio = run.plain.cpu_us_per_request / run.protected.cpu_us_per_request
        check(
            f"valid-token path ≥ {VALID_TOKEN_TARGET:g} of the plain session read's req/s{label}",
            ratio >= VALID_TOKEN_TARGET,
            f"{ratio:.3f} (from worker CPU per request: {cpu_ratio:.3f})",
        )
        added = round(run.protected.round_trips - run.plain.round_trips, 2) + 0.0  # no "-0.00"
        check(f"store round trips added ≤ 1 per request{label}", added <= 1.0, f"{added:+.2f}")
        check(
            f"outbound calls = 0{label}",
            run.protected.idp_calls == 0,
            str(run.protected.idp_calls),
        )
    if storm is not None:
        check("storm: token calls = 1", storm.token_calls == 1, str(storm.token_calls))
        non_200 = storm.requests - storm.statuses[200]
        check("storm: non-200 answers = 0", non_200 == 0, str(non_200))
        after = storm.next_refresh_status
        check("storm: the session's next refresh = 200", after == 200, str(after))
    return lines


def write_doc(section: str, start: str = START, end: str = END) -> None:
    """Replace a generated section of docs/PERFORMANCE.md (between its markers)."""
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{start}\n{end}\n"
    if start not in text or end not in text:
        text += f"\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    DOC.write_text(f"{head}{start}\n{section}{end}{tail}")
