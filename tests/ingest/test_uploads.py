"""Slow and stalled uploads over real sockets against ``collector serve``: they hold only
their own bytes, never a batch slot, and never more than the worker's buffered-bytes budget."""

from __future__ import annotations

import json
import select
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import INLET, web_event
from tests.server import LiveServer

pytestmark = pytest.mark.slow

BATCH = f"/collection/batch/{INLET}"
SINGLE = f"/collection/{INLET}"
MB = 1_000_000


def head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
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


def open_uploads(live: LiveServer, path: str, count: int, length: int) -> list[socket.socket]:
    """``count`` connections that sent a head declaring ``length`` bytes and one byte of it."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", live.port))
        sock.settimeout(20)
        sock.sendall(head(path, length) + b"{")
        socks.append(sock)
    return socks


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_good_batch_is_answered_while_100_uploads_trickle(tmp_path: Path) -> None:
    body = json.dumps({"messages": [web_event() for _ in range(10)]}).encode()
    with LiveServer(tmp_path / "data", env={"COLLECTOR_REQUEST_TIMEOUT_SECONDS": "30"}) as live:
        # 100 MB announced in all, past the default 64 MB budget: announcing is not holding.
        slow = open_uploads(live, BATCH, 100, MB)
        try:
            for _ in range(2):  # a byte per connection per second
                time.sleep(0.5)
                for sock in slow:
                    sock.sendall(b" ")
            good = socket.create_connection(("127.0.0.1", live.port))
            # A batch route stalled by the trickling uploads would answer only once the server's
            # 30 s request timeout cut them: the read would time out first and fail the test.
            good.settimeout(15)
            started = time.perf_counter()
            good.sendall(head(BATCH, len(body)) + body)
            status, _, answer = read_response(good)
            elapsed = time.perf_counter() - started
            good.close()
        finally:
            for sock in slow:
                sock.close()
    print(f"\ngood batch answered in {elapsed * 1000:.1f} ms with 100 slow uploads open")
    assert status == 207, answer
    assert len(json.loads(answer)["responses"]) == 10


def test_stalled_uploads_stay_within_the_buffered_bytes_budget(tmp_path: Path) -> None:
    budget = 8 * MB
    env = {"COLLECTOR_MAX_BUFFERED_BYTES": str(budget), "COLLECTOR_REQUEST_TIMEOUT_SECONDS": "30"}
    sent = 256 * 1024
    socks: list[socket.socket] = []
    refused: list[tuple[int, dict[str, str], bytes]] = []
    held = 0
    with LiveServer(tmp_path / "data", env=env) as live:
        assert live.proc is not None
        before = rss_bytes(live.proc.pid)
        try:
            for _ in range(200):
                sock = socket.create_connection(("127.0.0.1", live.port))
                sock.settimeout(20)
                socks.append(sock)
                sock.sendall(head(SINGLE, MB))
                readable, _, _ = select.select([sock], [], [], 0.02)
                if readable:  # refused before a byte of the body was read
                    refused.append(read_response(sock))
                else:  # a quarter of the declared megabyte, then nothing
                    sock.sendall(b" " * sent)
                    held += 1
                    time.sleep(0.01)
            time.sleep(0.5)
            growth = rss_bytes(live.proc.pid) - before
        finally:
            for sock in socks:
                sock.close()
    print(
        f"\n200 stalled 1 MB uploads, budget {budget} B: {held} held {held * sent} B, "
        f"{len(refused)} refused, RSS growth {growth / MB:.1f} MB"
    )
    # Room for a megabyte more is needed to be let in: at most (budget - 1 MB) / sent + 1.
    assert held <= (budget - MB) // sent + 1
    assert len(refused) == 200 - held
    for status, headers, _ in refused:
        assert status == 503
        assert headers["retry-after"] == "1"
        assert headers["content-type"] == "application/problem+json"
    problem = json.loads(refused[0][2])
    assert problem["status"] == 503
    assert problem["title"] == "Service Unavailable"
    assert "retry later" in problem["report"]["message"]
    assert growth < budget + 24 * MB
