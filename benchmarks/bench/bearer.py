"""h. Bearer requests: a view protected by a bearer token against the same view without auth,
and against wristband-django-auth's JWT authentication on the same view, in one run.

``python3 benchmarks/run.py --only-bearer``. Under gunicorn (one sync worker) and uvicorn
(one process), three servers are up at once: ours, ours with the memory of validated tokens
off (``access_token_cache_max_size: 0``), and the official package. Each serves the view of
``benchsite/bearer_views.py`` plain and behind its bearer auth: a decorator, DRF, and (ours
only) django-ninja, with one valid access token (the same user and claims for both
packages, each with its own issuer).

A view's plain and protected versions are measured **interleaved**: one wrk run sends
each request to one of the two at random, and the server counts the CPU time each of its two
Django handlers took, the response's close included (``benchsite/wsgi.py``, ``asgi.py``);
the rest of the worker's CPU in that run (the
server's own HTTP work, the same for both) is shared out evenly. So each view's CPU per
request comes from the same seconds of the same process, and a machine whose speed drifts
from one second to the next (a shared one) moves both alike. One saturated worker serves
``1 / (CPU per request)`` requests a second, so the ratio of CPU per request is the ratio of
throughputs; the worker's busy share is shown to hold that up. ``--rounds`` rounds, every
pair of views in turn, the order reversed every round; a ratio is the median of the rounds'
own ratios, their range beside it. It writes between the ``benchmark-bearer`` markers of
docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import requests

from bench.infra import BENCH_DIR, SERVERS, RedisServer, Server, TlsFront, self_signed_certificate
from bench.infra import wrk as run_wrk
from bench.report import machine, table, write_doc
from bench.scenarios import USER_ID, Bench, Options

START, END = "<!-- benchmark-bearer:start -->", "<!-- benchmark-bearer:end -->"
KINDS = ("plain", "protected")  # the server's two handlers (``benchsite/wsgi.py``, ``asgi.py``)
PLAIN_TARGET = 0.95  # of the same view's throughput without auth
OFFICIAL_TARGET = 1.0  # of wristband-django-auth's throughput on the same view
#: API -> (the plain view's path, the protected view's path).
APIS = {
    "django": ("/plain/django/", "/bearer/django/"),
    "drf": ("/plain/drf/", "/bearer/drf/"),
    "ninja": ("/plain/ninja/hello", "/bearer/ninja/hello"),
    "ninja-floor": ("/plain/floor/hello", "/bearer/floor/hello"),
}
API_NAMES = {
    "django": "Django view, decorator",
    "drf": "DRF `APIView`, authentication class",
    "ninja": "django-ninja, `auth=`",
    "ninja-floor": "django-ninja, `auth=` that checks nothing (reference)",
}
#: Reference rows, no target: what the framework itself costs under any auth.
REFERENCE_APIS = ("ninja-floor",)


@dataclass(frozen=True)
class Variant:
    name: str
    package: str
    label: str
    apis: tuple[str, ...]
    auth: dict[str, object] = field(default_factory=dict)


VARIANTS = (
    Variant("ours", "ours", "wristband-django", ("django", "drf", "ninja", "ninja-floor")),
    Variant(
        "ours-no-memory",
        "ours",
        "wristband-django, `access_token_cache_max_size: 0`",
        ("django", "drf", "ninja"),
        {"access_token_cache_max_size": 0},
    ),
    Variant("official", "official", "wristband-django-auth 1.1.0", ("django", "drf")),
)


@dataclass(frozen=True)
class Sample:
    """One interleaved run: the worker's CPU per request of each view, in microseconds."""

    plain_us: float
    protected_us: float
    requests: int
    busy: float  # the worker's CPU seconds over the run's seconds
    failures: int
    idp_calls: int


@dataclass
class Measured:
    """One server kind's runs: (variant, api) -> a sample per round."""

    server_kind: str
    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)


@dataclass(frozen=True)
class Ratio:
    """One view's throughput over another's: the median of the rounds' own ratios and their
    range."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Ratio:
        ordered = sorted(values)
        return cls(statistics.median(ordered), ordered[0], ordered[-1])

    def __str__(self) -> str:
        return f"{self.median:.3f} ({self.low:.2f} to {self.high:.2f})"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py --only-bearer", description=__doc__)
    parser.add_argument("--only-bearer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=int, default=3, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved runs per view pair")
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
    """Every variant's server up at once; every view pair measured in turn, ``rounds`` times."""
    options, result = bench.options, Measured(server_kind)
    # uvicorn serves concurrent requests in one process: one connection keeps each request's
    # CPU its own. gunicorn's sync worker serves one at a time whatever wrk sends.
    connections = options.connections if server_kind == "gunicorn" else 1
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
        pairs: list[tuple[tuple[str, str], Server, str]] = []
        for variant in VARIANTS:
            server, token = servers[variant.name], tokens[variant.package]
            for api in variant.apis:
                check(server.base, *APIS[api], token)
                result.samples[variant.name, api] = []
                pairs.append(((variant.name, api), server, token))
        for round_number in range(options.rounds):
            for key, server, token in pairs if round_number % 2 == 0 else pairs[::-1]:
                sample = interleaved(bench, server, APIS[key[1]], token, connections)
                result.samples[key].append(sample)
    return result


def interleaved(
    bench: Bench, server: Server, paths: tuple[str, str], token: str, connections: int
) -> Sample:
    """One wrk run to the plain and the protected view, each request to one of them at
    random (after a warm-up)."""
    options, header = bench.options, f"Authorization: Bearer {token}"
    run_wrk(f"{server.base}/", "", options.warmup, connections, header=header, paths=paths)
    bench.fake.reset_records()
    before = counters(server)
    cpu_before = server.workers_cpu_seconds()
    run = run_wrk(f"{server.base}/", "", options.duration, connections, header=header, paths=paths)
    cpu = server.workers_cpu_seconds() - cpu_before
    after = counters(server)
    handled = {kind: after[f"{kind}_handled"] - before[f"{kind}_handled"] for kind in KINDS}
    own = {kind: after[f"{kind}_cpu_seconds"] - before[f"{kind}_cpu_seconds"] for kind in KINDS}
    shared = (cpu - sum(own.values())) / sum(handled.values())  # the server's own HTTP work
    per_request = {kind: (shared + own[kind] / handled[kind]) * 1e6 for kind in KINDS}
    return Sample(
        plain_us=per_request["plain"],
        protected_us=per_request["protected"],
        requests=run.requests,
        busy=cpu / run.seconds,
        failures=run.non_2xx + run.socket_errors,
        idp_calls=len(bench.fake.requests),
    )


def counters(server: Server) -> dict[str, float]:
    """The server's per-handler counts (``/bench/counters/``: one worker, one process)."""
    answer = requests.get(f"{server.base}/bench/counters/", timeout=10)
    answer.raise_for_status()
    return dict(answer.json())


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


def protected_over_plain(samples: list[Sample]) -> Ratio:
    """The protected view's throughput over the plain view's, round by round."""
    return Ratio.of([sample.plain_us / sample.protected_us for sample in samples])


def ours_over_official(ours: list[Sample], theirs: list[Sample]) -> Ratio:
    """Our protected view's throughput over the official package's, round by round, each in
    units of its own server's plain view (the same view, Django and middleware in both
    servers' plain handlers, measured in the same run as the protected one): a server's own
    speed, which drifts between the seconds the two servers are measured, cancels out."""
    return Ratio.of([
        (o.plain_us / o.protected_us) / (t.plain_us / t.protected_us)
        for o, t in zip(ours, theirs, strict=True)
    ])  # fmt: skip


def render(machine_line: str, options: Options, measured: list[Measured]) -> str:
    lines = [
        f"Measured {machine_line}",
        "",
        f"wrk: 1 thread, {options.connections} connections under gunicorn, 1 under uvicorn; "
        f"{options.rounds} rounds of one interleaved run of {options.duration} s per view "
        f"pair (after {options.warmup} s of warm-up; each request to the plain or the "
        "protected view at random), every pair of a server kind in turn, the order reversed "
        "every round. One valid access token per package (the same user and claims). "
        "*µs/request*: the worker's CPU per request of each view (median of the rounds), "
        "from the CPU its two handlers took in the same run (the response's close included) "
        "plus an even share of the rest; a ratio is the median of the rounds' own ratios, "
        "their range in brackets. *busy*: the worker's CPU seconds per second of the runs "
        "(about 1: saturated, so throughput is 1 / CPU per request). *IdP calls*: requests "
        "the fake Wristband "
        "received during the measured runs.",
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
    header = ["API", "package", "plain µs/request", "protected µs/request",
              "protected / plain", "busy", "requests", "IdP calls", "failed requests"]  # fmt: skip
    rows = []
    labels = {variant.name: variant.label for variant in VARIANTS}
    for (variant, api), samples in result.samples.items():
        rows.append([
            API_NAMES[api], labels[variant],
            f"{statistics.median(s.plain_us for s in samples):.0f}",
            f"{statistics.median(s.protected_us for s in samples):.0f}",
            str(protected_over_plain(samples)),
            f"{statistics.median(s.busy for s in samples):.2f}",
            f"{sum(s.requests for s in samples):,}",
            sum(s.idp_calls for s in samples), sum(s.failures for s in samples),
        ])  # fmt: skip
    versus = []
    for api in APIS:
        if ("official", api) not in result.samples:
            continue
        ours, theirs = result.samples["ours", api], result.samples["official", api]
        versus.append([
            API_NAMES[api],
            f"{statistics.median(s.protected_us for s in ours):.0f}",
            f"{statistics.median(s.protected_us for s in theirs):.0f}",
            str(ours_over_official(ours, theirs)),
        ])  # fmt: skip
    return [
        f"### h. Bearer requests under {kind} ({worker})",
        "",
        *table(header, rows),
        f"Ours against the official package, the protected view ({kind}; *ours / official*: "
        "each protected view's CPU per request in units of its own server's plain view, the "
        "same view in both servers):",
        "",
        *table(["API", "ours µs/request", "official µs/request", "ours / official"], versus),
    ]


def _targets(result: Measured) -> list[str]:
    lines = []

    def check(label: str, value: Ratio, target: float) -> None:
        met = "met" if value.median >= target else "not met"
        lines.append(f"- {label} ≥ {target:.2f}: {value}, {met}")

    kind = result.server_kind
    for api in APIS:
        if api in REFERENCE_APIS:
            continue
        ours = result.samples["ours", api]
        check(f"{kind}, {API_NAMES[api]}: ours / plain", protected_over_plain(ours), PLAIN_TARGET)
        if ("official", api) in result.samples:
            theirs = result.samples["official", api]
            check(f"{kind}, {API_NAMES[api]}: ours / official",
                  ours_over_official(ours, theirs), OFFICIAL_TARGET)  # fmt: skip
    every = [sample for samples in result.samples.values() for sample in samples]
    failures = sum(sample.failures for sample in every)
    calls = sum(sample.idp_calls for sample in every)
    lines.append(
        f"- {kind}: failed requests = 0: {failures}, {'met' if failures == 0 else 'not met'}"
    )
    lines.append(f"- {kind}: calls to Wristband = 0: {calls}, {'met' if calls == 0 else 'not met'}")
    return lines


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
