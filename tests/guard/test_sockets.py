"""Abuse over real sockets against ``collector serve``: oversized and slow requests end
early, with the contract's problem body, and the server's memory does not grow with them."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.control.settings import Settings
from tests.conftest import INLET, web_event
from tests.guard.conftest import issue_token, make_inlet
from tests.server import LiveServer

pytestmark = pytest.mark.slow

DEADLINE = 1.0
# How long a test waits for the server before calling it a hang: far above DEADLINE.
PATIENCE = 20.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("sockets") / "data"
    env = {"COLLECTOR_REQUEST_TIMEOUT_SECONDS": str(DEADLINE)}
    with LiveServer(data_dir, env=env) as live:
        yield live


def connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(PATIENCE)
    return sock


def head(path: str, **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    raw_head, body = data.split(b"\r\n\r\n", 1)
    status_line, *lines = raw_head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return int(status_line.split()[1]), headers, body


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection (EOF or reset) before PATIENCE runs out."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def problem(body: bytes, status: int) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(body)
    assert parsed["status"] in (status, str(status))
    assert {"type", "title", "report"} <= set(parsed)
    return parsed


def rss_kib(server: LiveServer) -> int:
    """Resident memory of the server process (the uvicorn worker runs in it)."""
    assert server.proc is not None
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    return int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS:")))


# -- bodies ------------------------------------------------------------------------------


def test_a_declared_oversized_body_is_refused_before_it_is_sent(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(head(f"/collection/{INLET}", **{"Content-Length": "5000000"}))
        status, headers, body = read_response(sock)
        assert status == 413
        assert headers["content-type"] == "application/problem+json"
        assert "larger than 1000000 bytes" in json.dumps(problem(body, 413))
        assert headers["connection"] == "close"
        assert closed_by_server(sock)


def test_a_chunked_body_is_cut_at_the_limit(server: LiveServer) -> None:
    before = rss_kib(server)
    with connect(server) as sock:
        sock.sendall(head(f"/collection/batch/{INLET}", **{"Transfer-Encoding": "chunked"}))
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        sent = 0
        try:
            while sent < 64 * 1024 * 1024:
                sock.sendall(chunk)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sent < 64 * 1024 * 1024, "the server read a 64 MB body"
        status, _, body = read_response(sock)
        assert status == 413
        problem(body, 413)
    assert rss_kib(server) - before < 16 * 1024


def test_a_slow_body_gets_a_408(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(head(f"/collection/{INLET}", **{"Content-Length": "1000"}))
        sock.sendall(b"{")
        status, _, body = read_response(sock)
        assert status == 408
        assert "not received in time" in json.dumps(problem(body, 408))
        assert closed_by_server(sock)


def test_a_trickled_body_is_cut_off(server: LiveServer) -> None:
    """One byte every 0.1 s: the body deadline (1 s) ends it with a 408 or a closed socket."""
    with connect(server) as sock:
        sock.sendall(head(f"/collection/{INLET}", **{"Content-Length": "100000"}))
        sock.setblocking(False)
        answer, ended = b"", False
        for _ in range(int(PATIENCE / 0.1)):
            try:
                chunk = sock.recv(65536)
                answer += chunk
                ended = chunk == b""
            except BlockingIOError:
                pass
            except ConnectionResetError:
                ended = True
            if ended or b"\r\n\r\n" in answer:
                break
            try:
                sock.send(b" ")
            except (BrokenPipeError, ConnectionResetError):
                ended = True
                break
            time.sleep(0.1)
        assert ended or answer.startswith(b"HTTP/1.1 408 "), answer
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer


# -- heads -------------------------------------------------------------------------------


def test_an_idle_connection_is_closed(server: LiveServer) -> None:
    with connect(server) as sock:
        assert closed_by_server(sock)


def test_a_trickled_head_is_cut_off(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(f"POST /collection/{INLET} HTTP/1.1\r\nHost: x\r\n".encode())
        cut_off = False
        for _ in range(int(PATIENCE / 0.2)):
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except (BrokenPipeError, ConnectionResetError):
                cut_off = True
                break
            time.sleep(0.2)
        assert cut_off or closed_by_server(sock)


def test_an_oversized_head_gets_a_431(server: LiveServer) -> None:
    before = rss_kib(server)
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        try:
            for _ in range(32 * 1024):  # 32 MB of one header value
                sock.sendall(b"a" * 1024)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, headers, body = read_response(sock)
        assert status == 431
        assert headers["content-type"] == "application/problem+json"
        problem(body, 431)
    assert rss_kib(server) - before < 16 * 1024


def test_keep_alive_still_works(server: LiveServer) -> None:
    message = json.dumps(web_event()).encode()
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(head(f"/collection/{INLET}", **{"Content-Length": str(len(message))}))
            sock.sendall(message)
            status, _, _ = read_response(sock)
            assert status == 200


# -- answered before the body ------------------------------------------------------------


def test_401_403_404_are_answered_before_the_body(server: LiveServer) -> None:
    settings = Settings(data_dir=server.data_dir)
    locked = make_inlet(settings, auth_required=True)
    other = make_inlet(settings, auth_required=True)
    _, secret = issue_token(settings, other.id)
    cases = [
        (f"/collection/{locked.id}", {}, 401),
        (f"/collection/{locked.id}", {"Authorization": "Bearer nope"}, 401),
        (f"/collection/batch/{locked.id}", {"Authorization": f"Bearer {secret}"}, 403),
        (f"/collection/{'ab' * 32}", {}, 404),
    ]
    for path, headers, expected in cases:
        with connect(server) as sock:
            # Announce 900 kB and send none of it: the answer must not wait for the body.
            sock.sendall(head(path, **{"Content-Length": "900000", **headers}))
            status, _, body = read_response(sock)
            assert status == expected, body
            problem(body, expected)
