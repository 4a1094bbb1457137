"""The test servers' ports: two servers of one test never share a port, and a server whose
port another one holds is never taken for ready (the failure of a cross-process refresh test
whose two gunicorns were handed the same port, the second one's requests answered by the
first)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support import network
from tests.support.gunicorn_server import gunicorn_server
from tests.support.network import free_port


def test_a_process_never_hands_out_a_port_twice_and_stays_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == 300
    assert all(1024 < port < 32768 for port in ports)


class AnswersEverything(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.slow  # gunicorn retries its bind for about five seconds before it gives up
def test_a_server_whose_port_another_one_holds_is_not_taken_for_ready() -> None:
    squatter = ThreadingHTTPServer(("127.0.0.1", free_port()), AnswersEverything)
    thread = threading.Thread(target=squatter.serve_forever, daemon=True)
    thread.start()
    try:
        env = {"DJANGO_SETTINGS_MODULE": "tests.support.server_settings"}
        port = squatter.server_address[1]
        with (
            pytest.raises(RuntimeError, match="did not start"),
            gunicorn_server(port, env, start_timeout=20),
        ):
            pass
    finally:
        squatter.shutdown()
        squatter.server_close()


def test_a_port_another_test_run_reserved_is_not_handed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two test runs at once (tox environments in parallel) share no port: every port of
    this worker's slice but one is reserved by "another run", and that one comes back."""
    monkeypatch.setattr(network, "RESERVATIONS", tmp_path)
    ports = network._worker_slice()
    free = (port for port in ports if port not in network._handed_out)
    left = next(port for port in free if network._bindable(port))
    for port in ports:
        if port != left:
            (tmp_path / str(port)).touch()
    assert network.free_port() == left
    with pytest.raises(RuntimeError, match="no free port"):
        network.free_port()
