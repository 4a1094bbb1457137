"""The processes a run needs: a Redis of its own, gunicorn and uvicorn servers, TLS in front of
the fake Wristband (the official package speaks https only), and wrk."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
VENVS = {"ours": BENCH_DIR / ".venv-ours", "official": BENCH_DIR / ".venv-official"}
WRK_SCRIPT = Path(__file__).resolve().parent / "report.lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (benchmarks/run.py installs it with apt)")
    return path


class RedisServer:
    """A redis-server of the run's own on a free port: its command counters are ours alone."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis(port=self.port)
        command = [executable("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port),
                   "--save", "", "--appendonly", "no", "--dir", str(directory)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        for _ in range(100):
            with suppress(redis.ConnectionError):
                self.client.ping()
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def command_calls(self) -> dict[str, int]:
        stats = self.client.info("commandstats")
        calls = {name.removeprefix("cmdstat_"): int(s["calls"]) for name, s in stats.items()}
        calls.pop("info", None)  # our own counting
        return calls

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@dataclass(frozen=True)
class Server:
    base: str  # http://127.0.0.1:port
    pid: int  # gunicorn's master, or uvicorn's process
    #: True when ``pid`` serves requests itself (uvicorn with one worker), False when it
    #: is a master whose children do (gunicorn, uvicorn with ``--workers`` > 1).
    in_process: bool = False

    def workers_cpu_seconds(self) -> float:
        """User + system CPU time its workers have used so far (less noisy than req/s)."""
        if self.in_process:
            return cpu_seconds(self.pid)  # every thread of the process: loop and executors
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return sum(cpu_seconds(int(pid)) for pid in children)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextmanager
def gunicorn(
    package: str, port: int, env: dict[str, str], workers: int, log: Path, *, threads: int = 1
) -> Iterator[Server]:
    """``workers`` sync gunicorn workers serving benchsite on 127.0.0.1:port; with
    ``threads`` > 1, gthread workers of that many threads each."""
    worker_class = ["sync"] if threads == 1 else ["gthread", "--threads", str(threads)]
    command = [
        str(VENVS[package] / "bin" / "python"), "-m", "gunicorn", "benchsite.wsgi:application",
        "--worker-class", *worker_class, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--preload", "--graceful-timeout", "2", "--log-level", "warning",
    ]  # fmt: skip
    with _serving("gunicorn", package, command, env, port, log) as server:
        yield server


@contextmanager
def uvicorn(
    package: str, port: int, env: dict[str, str], workers: int, log: Path
) -> Iterator[Server]:
    """benchsite.asgi under uvicorn on 127.0.0.1:port, with uvloop and httptools (what
    ``uvicorn[standard]`` runs). One worker: uvicorn serves in its own process; more:
    ``--workers`` processes, each importing the app itself (uvicorn has no ``--preload``),
    and the server counts as started once every one of them has."""
    ready = log.with_suffix(".ready")
    shutil.rmtree(ready, ignore_errors=True)
    ready.mkdir(parents=True)
    command = [
        str(VENVS[package] / "bin" / "python"), "-m", "uvicorn", "benchsite.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--loop", "uvloop", "--http", "httptools", "--lifespan", "off", "--no-access-log",
        "--timeout-graceful-shutdown", "2", "--log-level", "warning",
    ]  # fmt: skip
    env = {**env, "BENCH_READY_DIR": str(ready)}
    with _serving(
        "uvicorn",
        package,
        command,
        env,
        port,
        log,
        in_process=workers == 1,
        ready=lambda: len(list(ready.iterdir())) >= workers,
    ) as server:
        yield server


#: The servers a scenario can run under: WSGI (benchsite.wsgi) and ASGI (benchsite.asgi).
SERVERS = {"gunicorn": gunicorn, "uvicorn": uvicorn}


@contextmanager
def _serving(
    name: str,
    package: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    log: Path,
    *,
    in_process: bool = False,
    ready: Callable[[], bool] = lambda: True,
) -> Iterator[Server]:
    """Start ``command``, wait until it answers (and ``ready()``), stop it afterwards."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=BENCH_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if ready():
                    requests.get(f"{base}/plain/hello/", timeout=5)
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} ({package}) did not start; see {log}")
            time.sleep(0.1)
        yield Server(base, process.pid, in_process)
    finally:
        workers = _children(process.pid)
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            for pid in workers:  # a master that was killed leaves its workers running
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    with suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def postgres_database(server_url: str, name: str) -> tuple[str | None, str | None]:
    """A fresh, empty database ``name`` on the PostgreSQL server of ``server_url`` (a URL of
    one of its databases): (its URL, None), or (None, why not) when the server does not answer
    or refuses."""
    parts = urlsplit(server_url)
    try:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        return None, f"PostgreSQL at {parts.hostname}:{parts.port}: {type(exc).__name__}"
    return urlunsplit(parts._replace(path=f"/{name}")), None


def django_admin(package: str, env: dict[str, str], *args: str) -> None:
    python = str(VENVS[package] / "bin" / "python")
    subprocess.run([python, "-m", "django", *args], cwd=BENCH_DIR, env=env, check=True)  # noqa: S603


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk(
    url: str,
    cookie: str,
    seconds: int,
    connections: int,
    *,
    header: str | None = None,
    paths: Sequence[str] = (),
) -> WrkResult:
    """One bounded wrk run (one thread) with the session cookie, or with ``header`` instead
    (``Authorization: Bearer ...``); with ``paths``, to each of them in turn on ``url``'s
    server."""
    header = header or f"Cookie: sessionid={cookie}"
    command = [executable("wrk"), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
               "-s", str(WRK_SCRIPT), "-H", header, url]  # fmt: skip
    done = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=seconds + 30, check=True,
        env={**os.environ, "WRK_PATHS": ",".join(paths)},
    )  # fmt: skip
    line = next(line for line in done.stdout.splitlines() if line.startswith("{"))
    raw = json.loads(line)
    return WrkResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        non_2xx=raw["non_2xx"],
        socket_errors=raw["socket_errors"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
    )


def py_spy(pid: int, seconds: int, output: Path) -> subprocess.Popen[bytes]:
    """Sample gunicorn's master and workers for ``seconds`` (collapsed stacks, ``raw``)."""
    command = [str(VENVS["ours"] / "bin" / "py-spy"), "record", "--pid", str(pid), "--subprocesses",
               "--rate", "200", "--duration", str(seconds), "--format", "raw",
               "--output", str(output)]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for ``localhost`` and 127.0.0.1, valid for a day; returns (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fake-wristband.crt", directory / "fake-wristband.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class TlsFront:
    """TLS on a port of 127.0.0.1, relaying each connection to the fake's plain-HTTP port.

    wristband-django-auth builds every Wristband URL as ``https://{vanity domain}``; this
    lets it talk to the same ``FakeWristband`` as our package, trusting the certificate
    through ``SSL_CERT_FILE`` (which httpx reads).
    """

    def __init__(self, upstream_port: int, cert: Path, key: Path) -> None:
        self.upstream_port = upstream_port
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        threading.Thread(target=self._accept, name="tls-front", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        # Relayed writes are small and separate: without TCP_NODELAY, Nagle and delayed
        # ACKs would add ~40 ms to each exchange (the fake sets it on its side too).
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with (
            suppress(OSError),
            self.context.wrap_socket(connection, server_side=True) as client,
            socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream,
        ):
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _relay(client, upstream)

    def close(self) -> None:
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()


def _relay(client: ssl.SSLSocket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes or both are idle for a minute."""
    peers: dict[socket.socket, socket.socket] = {client: upstream, upstream: client}
    while True:
        ready = [client] if client.pending() else select.select(list(peers), [], [], 60)[0]
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            peers[sock].sendall(data)
