"""h. Bearer requests: a view protected by a bearer token against the same view without auth,
and against wristband-django-auth's JWT authentication on the same view, in one run.

``python3 benchmarks/run.py --only-bearer``. Under gunicorn (one sync worker) and uvicorn
(one process), three servers are up at once: ours, ours with the memory of validated tokens
off (``access_token_cache_max_size: 0``), and the official package. Each serves the view of
``benchsite/bearer_views.py`` plain and behind its bearer auth: a decorator, DRF, and (ours
only) django-ninja. Every view gets ``--rounds`` wrk runs with one valid access token (the
same user and claims for both packages, each with its own issuer), each after a warm-up, all
views of a server kind in turn and the order reversed every round. It records requests/s,
p50/p99, the worker's CPU per request and the calls the fake received, and writes the
tables between the ``benchmark-bearer`` markers of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import requests

from bench.infra import BENCH_DIR, SERVERS, RedisServer, Server, TlsFront, self_signed_certificate
from bench.infra import wrk as run_wrk
from bench.report import machine, table, write_doc
from bench.scenarios import USER_ID, Bench, Options, ViewStats

START, END = "<!-- benchmark-bearer:start -->", "<!-- benchmark-bearer:end -->"
PLAIN_TARGET = 0.95  # of the same view's throughput without auth
OFFICIAL_TARGET = 1.0  # of wristband-django-auth's throughput on the same view
#: API -> (the plain view's path, the protected view's path).
APIS = {
    "django": ("/plain/django/", "/bearer/django/"),
    "drf": ("/plain/drf/", "/bearer/drf/"),
    "ninja": ("/plain/ninja/hello", "/bearer/ninja/hello"),
}
API_NAMES = {
    "django": "Django view, decorator",
    "drf": "DRF `APIView`, authentication class",
    "ninja": "django-ninja, `auth=`",
}


@dataclass(frozen=True)
class Variant:
    name: str
    package: str
    label: str
    apis: tuple[str, ...]
    auth: dict[str, object] = field(default_factory=dict)


VARIANTS = (
    Variant("ours", "ours", "wristband-django", ("django", "drf", "ninja")),
    Variant(
        "ours-no-memory",
        "ours",
        "wristband-django, `access_token_cache_max_size: 0`",
        ("django", "drf", "ninja"),
        {"access_token_cache_max_size": 0},
    ),
    Variant("official", "official", "wristband-django-auth 1.1.0", ("django", "drf")),
)


@dataclass
class Measured:
    """One server kind's figures: (variant, api) -> (plain, protected)."""

    server_kind: str
    views: dict[tuple[str, str], tuple[ViewStats, ViewStats]] = field(default_factory=dict)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py --only-bearer", description=__doc__)
    parser.add_argument("--only-bearer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs per view")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument(
        "--servers", nargs="+", choices=tuple(SERVERS), default=list(SERVERS), help="server kinds"
    )
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/PERFORMANCE.md")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from wristband_django.testing import FakeWristband

    options = Options(
        duration=args.duration, warmup=args.warmup, rounds=args.rounds,
        connections=args.connections, logins=0, storm_requests=0, storm_workers=0,
        refresh_delay=0.0,
    )  # fmt: skip
    work = BENCH_DIR / "results" / "work-bearer"  # its own: other scenarios empty results/work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.monotonic()
    cert, key = self_signed_certificate(work)
    store = RedisServer(work)
    try:
        with FakeWristband() as fake:
            tls = TlsFront(fake.port, cert, key)
            bench = Bench(fake, tls, cert, store, work, secrets.token_urlsafe(32), options)
            tokens = {
                "ours": fake.access_token_for(USER_ID),
                "official": fake.access_token_for(USER_ID, iss=f"https://localhost:{tls.port}"),
            }
            measured = []
            for server_kind in args.servers:
                print(f"… bearer requests under {server_kind}", file=sys.stderr, flush=True)
                measured.append(measure(bench, server_kind, tokens))
            tls.close()
        section = render(machine(store), options, measured)
    finally:
        store.stop()
    print(section)
    print(f"(took {time.monotonic() - started:.0f} s)", file=sys.stderr)
    (BENCH_DIR / "results" / "bearer.md").write_text(section)
    if not args.no_doc:
        write_doc(section, START, END)
    return 0


def measure(bench: Bench, server_kind: str, tokens: dict[str, str]) -> Measured:
    """Every variant's server up at once; every view measured in turn, ``rounds`` times."""
    options, result = bench.options, Measured(server_kind)
    with ExitStack() as stack:
        servers: dict[str, Server] = {}
        for variant in VARIANTS:
            env, port = bench.server(
                variant.package, "redis", workers=1, name=f"bearer-{variant.name}",
                auth=variant.auth, env={
                    "BENCH_URLCONF": f"benchsite.urls_bearer_{variant.package}",
                    "BENCH_APPS": "rest_framework",
                },
            )  # fmt: skip
            log = bench.work / f"{server_kind}-bearer-{variant.name}.log"
            servers[variant.name] = stack.enter_context(
                SERVERS[server_kind](variant.package, port, env, workers=1, log=log)
            )
        runs: list[tuple[Server, str, str, ViewStats]] = []
        for variant in VARIANTS:
            server, token = servers[variant.name], tokens[variant.package]
            for api in variant.apis:
                plain_path, protected_path = APIS[api]
                check(server.base, plain_path, protected_path, token)
                plain, protected = ViewStats(), ViewStats()
                result.views[variant.name, api] = (plain, protected)
                runs += [
                    (server, plain_path, token, plain),
                    (server, protected_path, token, protected),
                ]
        for round_number in range(options.rounds):
            for server, path, token, stats in runs if round_number % 2 == 0 else runs[::-1]:
                url, header = f"{server.base}{path}", f"Authorization: Bearer {token}"
                run_wrk(url, "", options.warmup, options.connections, header=header)
                bench.fake.reset_records()
                cpu_before = server.workers_cpu_seconds()
                stats.runs.append(
                    run_wrk(url, "", options.duration, options.connections, header=header)
                )
                stats.cpu_seconds += server.workers_cpu_seconds() - cpu_before
                stats.idp_calls += len(bench.fake.requests)
    return result


def check(base: str, plain_path: str, protected_path: str, token: str) -> None:
    """The plain view answers nobody; the protected one the user with the token, 401 without."""
    bearer = {"Authorization": f"Bearer {token}"}
    answers = {
        "plain": (requests.get(f"{base}{plain_path}", headers=bearer, timeout=10), None),
        "protected": (requests.get(f"{base}{protected_path}", headers=bearer, timeout=10), USER_ID),
    }
    for name, (answer, expected) in answers.items():
        if answer.status_code != 200 or answer.json() != {"hello": expected}:
            raise RuntimeError(f"{name} {plain_path}: {answer.status_code} {answer.text[:200]}")
    anonymous = requests.get(f"{base}{protected_path}", timeout=10)
    if anonymous.status_code != 401:
        raise RuntimeError(f"{protected_path} without a token answered {anonymous.status_code}")


def _by_cpu(plain: ViewStats, protected: ViewStats) -> float:
    """The throughput ratio the worker's CPU per request implies (less noisy than req/s)."""
    return plain.cpu_us_per_request / protected.cpu_us_per_request


def render(machine_line: str, options: Options, measured: list[Measured]) -> str:
    lines = [
        f"Measured {machine_line}",
        "",
        f"wrk: 1 thread, {options.connections} connections, {options.rounds} runs of "
        f"{options.duration} s per view, each after {options.warmup} s of warm-up, every view "
        "of a server kind in turn, the order reversed every round. One valid access token "
        "per package (the same user and claims). *by CPU*: the ratio the worker's CPU time "
        "per request implies. *IdP calls*: requests the fake Wristband received during the "
        "measured runs.",
        "",
    ]
    targets = []
    for result in measured:
        lines += _server_section(result)
        targets += _targets(result)
    return "\n".join([*lines, "### Targets", "", *targets, ""]) + "\n"


def _server_section(result: Measured) -> list[str]:
    kind = result.server_kind
    worker = "1 sync gunicorn worker" if kind == "gunicorn" else "1 uvicorn process, sync views"
    header = ["API", "package", "plain req/s", "protected req/s", "protected / plain",
              "by CPU", "p50 ms plain → protected", "p99 ms plain → protected",
              "worker CPU µs/req plain → protected", "IdP calls", "failed requests"]  # fmt: skip
    rows = []
    labels = {variant.name: variant.label for variant in VARIANTS}
    for (variant, api), (plain, protected) in result.views.items():
        rows.append([
            API_NAMES[api], labels[variant], f"{plain.rps:,.0f}", f"{protected.rps:,.0f}",
            f"{protected.rps / plain.rps:.3f}", f"{_by_cpu(plain, protected):.3f}",
            f"{plain.p50_ms:.2f} → {protected.p50_ms:.2f}",
            f"{plain.p99_ms:.2f} → {protected.p99_ms:.2f}",
            f"{plain.cpu_us_per_request:.0f} → {protected.cpu_us_per_request:.0f}",
            protected.idp_calls, plain.failures + protected.failures,
        ])  # fmt: skip
    versus = []
    for api in APIS:
        if ("official", api) not in result.views:
            continue
        ours, theirs = result.views["ours", api][1], result.views["official", api][1]
        versus.append([
            API_NAMES[api], f"{ours.rps:,.0f}", f"{theirs.rps:,.0f}",
            f"{ours.rps / theirs.rps:.2f}",
            f"{theirs.cpu_us_per_request / ours.cpu_us_per_request:.2f}",
        ])  # fmt: skip
    return [
        f"### h. Bearer requests under {kind} ({worker})",
        "",
        *table(header, rows),
        f"Ours against the official package, the protected view ({kind}):",
        "",
        *table(["API", "ours req/s", "official req/s", "ours / official", "by CPU"], versus),
    ]


def _targets(result: Measured) -> list[str]:
    lines = []

    def check(label: str, value: float, target: float, by_cpu: float) -> None:
        met = "met" if value >= target else "not met"
        lines.append(f"- {label} ≥ {target:.2f}: {value:.3f} (by CPU: {by_cpu:.3f}), {met}")

    kind = result.server_kind
    for api in APIS:
        plain, protected = result.views["ours", api]
        check(f"{kind}, {API_NAMES[api]}: ours / plain", protected.rps / plain.rps,
              PLAIN_TARGET, _by_cpu(plain, protected))  # fmt: skip
        if ("official", api) in result.views:
            theirs = result.views["official", api][1]
            cpu_ratio = theirs.cpu_us_per_request / protected.cpu_us_per_request
            check(f"{kind}, {API_NAMES[api]}: ours / official", protected.rps / theirs.rps,
                  OFFICIAL_TARGET, cpu_ratio)  # fmt: skip
    failures = sum(p.failures + q.failures for p, q in result.views.values())
    calls = sum(q.idp_calls for _, q in result.views.values())
    lines.append(
        f"- {kind}: failed requests = 0: {failures}, {'met' if failures == 0 else 'not met'}"
    )
    lines.append(f"- {kind}: calls to Wristband = 0: {calls}, {'met' if calls == 0 else 'not met'}")
    return lines


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
