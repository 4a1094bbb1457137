"""A whole deployment on loopback, started and stopped as one.

- Redis: one ``redis-server`` of the deployment's own, or (``sentinel=True``) a primary, a
  replica and three Sentinels (Debian's ``redis-server`` and ``redis-sentinel``);
- the fake Wristband (``wristband_django.testing.FakeWristband``);
- N gunicorn masters on ports of their own, each standing in for one machine, with the
  settings of ``tests/deployment/scale_settings.py`` (the cache settings docs/deployment.md shows);
- HAProxy in front of them, round robin, from a generated configuration on a free port.

Used by tests/deployment/test_scale_out.py, tests/deployment/test_redis_failover.py and
benchmarks/scale.py. Each process is started in a session of its own with its output in a log
file of the work directory, and everything started is stopped when the ``with`` block ends, also
when starting fails halfway (a gunicorn master's whole process group, its workers too). It needs
``redis-server``, ``haproxy`` and, for Sentinel, ``redis-sentinel``: ``missing_binaries()``
names those that are not installed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
import requests
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.network import free_port
from wristband_django.testing import FakeWristband

ROOT = Path(__file__).resolve().parents[2]
SENTINEL_SERVICE = "wristband-primary"
#: Where Debian puts haproxy; not on every user's PATH.
EXTRA_BINARY_DIRS = ("/usr/sbin", "/sbin")
STARTUP_SECONDS = 30.0


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for directory in EXTRA_BINARY_DIRS:
        candidate = Path(directory) / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def missing_binaries(*, sentinel: bool = False) -> list[str]:
    """The binaries a deployment needs that are not installed (Debian package names)."""
    needed = ["redis-server", "haproxy", *(["redis-sentinel"] if sentinel else [])]
    return [name for name in needed if find_binary(name) is None]


def _binary(name: str) -> str:
    path = find_binary(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (Debian: apt-get install {name})")
    return path


def wait_until(
    ready: Callable[[], bool], what: str, timeout: float = STARTUP_SECONDS, poll: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


class Process:
    """A child process in a session (and process group) of its own, output to ``log``."""

    def __init__(self, name: str, command: list[str], log: Path, **popen: Any) -> None:
        self.name = name
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **popen
            )

    def running(self) -> bool:
        return self.popen.poll() is None

    def check_running(self) -> None:
        if not self.running():
            raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        with suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def kill(self) -> None:
        """SIGKILL, as a machine that dies: no shutdown, nothing flushed."""
        if self.running():
            self.popen.kill()
        self.popen.wait(10)

    def terminate(self) -> None:
        if self.running():
            self.popen.terminate()

    def finish(self, deadline: float) -> None:
        """Wait until ``deadline`` (monotonic) for it to exit, then SIGKILL whatever is left
        of its process group (a gunicorn master's workers too)."""
        with suppress(subprocess.TimeoutExpired):
            self.popen.wait(max(0.0, deadline - time.monotonic()))
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # its own group: start_new_session
        with suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)


class Processes:
    """Every process a deployment starts, registered as it starts, stopped together."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.started: list[Process] = []

    def start(self, name: str, command: list[str], **popen: Any) -> Process:
        process = Process(name, command, self.work / f"{name}.log", **popen)
        self.started.append(process)
        return process

    def stop_all(self, timeout: float = 10.0) -> None:
        """SIGTERM to all at once; SIGKILL to what is left after ``timeout`` seconds."""
        for process in self.started:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.started:
            process.finish(deadline)


def _quiet_client(port: int, timeout: float = 2.0) -> redis.Redis:
    """A client that fails at once when the server is gone (no reconnect with backoff)."""
    return redis.Redis(
        port=port,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


class RedisNode:
    """A redis-server on a free port of 127.0.0.1, without persistence; optionally a replica."""

    def __init__(self, processes: Processes, name: str, replica_of: int | None = None) -> None:
        self.name = name
        self.port = free_port()
        directory = processes.work / name
        directory.mkdir(parents=True, exist_ok=True)
        command = [_binary("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port),
                   "--save", "", "--appendonly", "no", "--dir", str(directory)]  # fmt: skip
        if replica_of is not None:
            command += ["--replicaof", "127.0.0.1", str(replica_of)]
        self.process = processes.start(name, command)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return _quiet_client(self.port)

    def wait_ready(self) -> None:
        def answers() -> bool:
            self.process.check_running()
            with suppress(redis.RedisError):
                return bool(self.client().ping())
            return False

        wait_until(answers, f"{self.name} to answer PING")

    def wait_replicating(self) -> None:
        def linked() -> bool:
            self.process.check_running()
            with suppress(redis.RedisError):
                return self.client().info("replication").get("master_link_status") == "up"
            return False

        wait_until(linked, f"{self.name} to replicate its primary")


class SentinelNode:
    """A redis-sentinel watching ``primary_port``; quorum 2 of 3."""

    def __init__(
        self,
        processes: Processes,
        name: str,
        primary_port: int,
        *,
        down_after_ms: int,
        failover_ms: int,
    ) -> None:
        self.name = name
        self.port = free_port()
        directory = processes.work / name
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "sentinel.conf"  # Sentinel rewrites it: a file of its own
        config.write_text(
            f"bind 127.0.0.1\nport {self.port}\ndir {directory}\n"
            f"sentinel monitor {SENTINEL_SERVICE} 127.0.0.1 {primary_port} 2\n"
            f"sentinel down-after-milliseconds {SENTINEL_SERVICE} {down_after_ms}\n"
            f"sentinel failover-timeout {SENTINEL_SERVICE} {failover_ms}\n"
            f"sentinel parallel-syncs {SENTINEL_SERVICE} 1\n"
        )
        self.process = processes.start(name, [_binary("redis-sentinel"), str(config)])

    def client(self) -> redis.Redis:
        return _quiet_client(self.port)

    def primary_port(self) -> int | None:
        """The port of the primary this Sentinel names now (None if it does not answer)."""
        with suppress(redis.RedisError):
            answer = self.client().sentinel_get_master_addr_by_name(
                SENTINEL_SERVICE, return_responses=True
            )
            return int(answer[1]) if answer else None
        return None

    def sees_everyone(self) -> bool:
        """It knows the replica and the two other Sentinels."""
        self.process.check_running()
        with suppress(redis.RedisError):
            state = self.client().sentinel_master(SENTINEL_SERVICE, return_responses=True)
            return int(state["num-slaves"]) >= 1 and int(state["num-other-sentinels"]) >= 2
        return False


class SentinelRedis:
    """A primary, one replica and three Sentinels (quorum 2), all on loopback."""

    def __init__(self, processes: Processes, *, down_after_ms: int = 1000) -> None:
        self.primary = RedisNode(processes, "redis-primary")
        self.primary.wait_ready()
        self.replica = RedisNode(processes, "redis-replica", replica_of=self.primary.port)
        self.replica.wait_ready()
        self.replica.wait_replicating()
        self.sentinels: list[SentinelNode] = []
        for number in range(1, 4):
            node = SentinelNode(
                processes,
                f"sentinel-{number}",
                self.primary.port,
                down_after_ms=down_after_ms,
                failover_ms=10 * down_after_ms,
            )
            self.sentinels.append(node)
        wait_until(
            lambda: all(node.sees_everyone() for node in self.sentinels),
            "the Sentinels to find the replica and each other",
        )

    @property
    def sentinel_ports(self) -> list[int]:
        return [node.port for node in self.sentinels]

    def primary_port(self) -> int | None:
        """The primary the Sentinels agree on (a majority), else None."""
        ports = [node.primary_port() for node in self.sentinels]
        for port in set(ports):
            if port is not None and ports.count(port) >= 2:
                return port
        return None

    def kill_primary(self) -> float:
        """SIGKILL the primary (a machine that dies); returns when, as ``time.time()``."""
        killed_at = time.time()
        self.primary.process.kill()
        return killed_at

    def wait_for_promotion(self, timeout: float = 30.0) -> float:
        """Wait until the Sentinels name the replica as the primary; returns when."""
        wait_until(
            lambda: self.primary_port() == self.replica.port,
            "the Sentinels to promote the replica",
            timeout=timeout,
            poll=0.02,
        )
        return time.time()


def wait_answering(process: Process, url: str, name: str, timeout: float = STARTUP_SECONDS) -> None:
    """Wait until the app at ``url`` answers (401 for a request without a session)."""

    def answers() -> bool:
        process.check_running()
        with suppress(requests.RequestException):
            return requests.get(f"{url}/auth/session/", timeout=2).status_code == 401
        return False

    wait_until(answers, f"{name} to answer", timeout=timeout)


class AppServer:
    """One gunicorn master (gthread workers) serving tests.deployment.scale_wsgi: a "machine"."""

    def __init__(
        self, processes: Processes, name: str, env: dict[str, str], *, workers: int, threads: int
    ) -> None:
        self.name = name
        self.port = free_port()
        self.access_log = processes.work / f"{name}-access.log"
        self.access_log.touch()
        command = [
            sys.executable, "-m", "gunicorn", "tests.deployment.scale_wsgi:application",
            "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
            "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2",
            "--access-logfile", str(self.access_log), "--log-level", "warning",
        ]  # fmt: skip
        self.process = processes.start(name, command, cwd=ROOT, env=env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        wait_answering(self.process, self.url, f"{self.name} (gunicorn)", timeout=60)

    def access_count(self, path: str) -> int:
        """Requests for ``path`` this server's access log holds."""
        marker = f'"GET {path}'
        return sum(marker in line for line in self.access_log.read_text().splitlines())


class Proxy:
    """HAProxy on 127.0.0.1:port, round robin over the servers (each request on its own)."""

    def __init__(self, processes: Processes, port: int, servers: list[AppServer]) -> None:
        self.port = port
        self.config = processes.work / "haproxy.cfg"
        backends = "".join(
            f"    server {server.name} 127.0.0.1:{server.port}\n" for server in servers
        )
        self.config.write_text(
            "global\n"
            "    maxconn 4096\n"
            "defaults\n"
            "    mode http\n"
            "    option http-server-close\n"  # a new server connection per request
            "    timeout connect 5s\n"
            "    timeout client 60s\n"
            "    timeout server 60s\n"
            "frontend app\n"
            f"    bind 127.0.0.1:{port}\n"
            "    default_backend servers\n"
            "backend servers\n"
            "    balance roundrobin\n" + backends
        )
        command = [_binary("haproxy"), "-db", "-f", str(self.config)]
        self.process = processes.start("haproxy", command)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        wait_answering(self.process, self.url, "haproxy")


@dataclass
class Deployment:
    """What ``deployment()`` started. ``url`` is the proxy's."""

    work: Path
    fake: FakeWristband
    servers: list[AppServer]
    proxy: Proxy
    redis: RedisNode | SentinelRedis
    auth: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.proxy.url

    def access_counts(self, path: str) -> dict[str, int]:
        """Return the requests for ``path`` each server's access log holds now, by name."""
        return {server.name: server.access_count(path) for server in self.servers}

    def served_since(
        self, before: dict[str, int], path: str, expected: int, timeout: float = 10.0
    ) -> dict[str, int]:
        """Return the requests for ``path`` each server logged since ``before``, by name.

        Gunicorn writes a request's access-log line after the answer has left, so the last
        lines may still be coming when the client has every answer: wait until the logs hold
        ``expected`` requests since ``before``, or ``timeout`` seconds, whichever comes first,
        and return what they hold then (more or fewer than ``expected`` is for the caller to
        judge).
        """
        deadline = time.monotonic() + timeout
        while True:
            now = self.access_counts(path)
            served = {name: now[name] - before.get(name, 0) for name in now}
            if sum(served.values()) >= expected or time.monotonic() > deadline:
                return served
            time.sleep(0.05)


def server_env(
    auth: dict[str, Any], store: RedisNode | SentinelRedis, *, replica_reads: bool
) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.deployment.scale_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "WRISTBAND_SCALE_AUTH": json.dumps(auth),
    }
    if isinstance(store, SentinelRedis):
        env["WRISTBAND_SCALE_SENTINELS"] = ",".join(str(port) for port in store.sentinel_ports)
        env["WRISTBAND_SCALE_SENTINEL_SERVICE"] = SENTINEL_SERVICE
        env["WRISTBAND_SCALE_REPLICA_READS"] = "1" if replica_reads else "0"
    else:
        env["WRISTBAND_SCALE_REDIS_URL"] = store.url
    return env


@contextmanager
def deployment(
    work: Path,
    *,
    servers: int = 3,
    sentinel: bool = False,
    replica_reads: bool = False,
    workers: int = 2,
    threads: int = 12,
    down_after_ms: int = 1000,
    auth: dict[str, Any] | None = None,
    fake_options: dict[str, Any] | None = None,
) -> Iterator[Deployment]:
    """Start everything (see the module's docstring); stop everything when the block ends.

    ``auth``: more ``WRISTBAND_AUTH`` settings on top of the fake's. ``/api/`` is protected;
    the servers have no migrated database, so ``track_sessions`` is off.
    """
    work.mkdir(parents=True, exist_ok=True)
    processes = Processes(work)
    with ExitStack() as stack:
        stack.callback(processes.stop_all)  # whatever started, however far it got
        proxy_port = free_port()  # the fake needs the site's URLs before anything runs
        fake = FakeWristband(
            login_url=f"http://127.0.0.1:{proxy_port}/auth/login/",
            redirect_uri=f"http://127.0.0.1:{proxy_port}/auth/callback/",
            **(fake_options or {}),
        )
        stack.enter_context(fake)
        store: RedisNode | SentinelRedis
        if sentinel:
            store = SentinelRedis(processes, down_after_ms=down_after_ms)
        else:
            store = RedisNode(processes, "redis")
            store.wait_ready()
        settings = fake.auth_settings(
            protected_paths=["/api/"],
            dangerously_disable_secure_cookies=True,
            track_sessions=False,
            **(auth or {}),
        )
        env = server_env(settings, store, replica_reads=replica_reads)
        apps = [
            AppServer(processes, f"app{number}", env, workers=workers, threads=threads)
            for number in range(1, servers + 1)
        ]
        for app in apps:
            app.wait_ready()
        proxy = Proxy(processes, proxy_port, apps)
        proxy.wait_ready()
        yield Deployment(work, fake, apps, proxy, store, settings)


# --- a browser, over HTTP ---------------------------------------------------------------------


def log_in(base: str, fake: FakeWristband, user: str | None = None) -> str:
    """Login → the fake's authorize → Callback, through ``base``; returns the session cookie."""
    browser = requests.Session()
    started = browser.get(f"{base}/auth/login/?tenant_name=acme", allow_redirects=False, timeout=10)
    if started.status_code != 302:
        raise RuntimeError(f"login answered {started.status_code}: {started.text[:300]}")
    callback = fake.authorize(started.headers["Location"], user)
    finished = browser.get(callback, allow_redirects=False, timeout=10)
    if finished.status_code != 302 or "sessionid" not in browser.cookies:
        raise RuntimeError(f"callback answered {finished.status_code}: {finished.text[:300]}")
    return str(browser.cookies["sessionid"])


def log_out(base: str, cookie: str) -> requests.Response:
    """What a browser does: open a page (which sets the CSRF cookie), then POST logout."""
    browser = requests.Session()
    browser.cookies.set("sessionid", cookie)
    browser.get(f"{base}/page/", timeout=10).raise_for_status()
    token = browser.cookies["csrftoken"]
    return browser.post(
        f"{base}/auth/logout/", headers={"X-CSRFToken": token}, allow_redirects=False, timeout=10
    )


@dataclass(frozen=True)
class RawAnswer:
    status: int  # 0: no answer
    ms: float
    body: bytes


def concurrent_gets(port: int, path: str, cookie: str | None, count: int) -> list[RawAnswer]:
    """``count`` GETs sent at once on connections opened beforehand.

    Raw sockets keep the client's own work (and its share of the GIL) out of the way, so the
    requests reach the proxy together.
    """
    header = f"Cookie: sessionid={cookie}\r\n" if cookie else ""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{header}Connection: close\r\n\r\n"
    ).encode()
    connections = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    barrier = threading.Barrier(count)
    answers: list[RawAnswer] = []
    lock = threading.Lock()

    def call(connection: socket.socket) -> None:
        with connection:
            barrier.wait()
            started = time.perf_counter()
            connection.sendall(request)
            response = b""
            with suppress(OSError):
                while chunk := connection.recv(65536):
                    response += chunk
            head, _, body = response.partition(b"\r\n\r\n")
            status_line = head.split(b"\r\n", 1)[0].split()
            status = int(status_line[1]) if len(status_line) > 1 else 0
            with lock:
                answers.append(RawAnswer(status, (time.perf_counter() - started) * 1000, body))

    threads = [threading.Thread(target=call, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def json_body(answer: RawAnswer) -> Any:
    return json.loads(answer.body)
