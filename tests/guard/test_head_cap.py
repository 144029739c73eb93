"""The request-head cap over real sockets: every head over 64 KB gets a 431 the client can read.

Regressions: a 70 KB head that arrived in one read passed the cap (the parser finished it
before it was counted), and larger heads got a TCP reset (the socket was closed with the
client's bytes unread) instead of the 431.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from collector.web.protocol import DEFAULT_MAX_HEAD_BYTES
from tests.conftest import INLET, web_event
from tests.guard.test_sockets import PATIENCE, head, problem, read_response
from tests.server import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("headcap") / "data") as live:
        yield live


def _get_with_head_of(size: int) -> bytes:
    """A GET /health whose head (request line, headers, blank line) is exactly ``size`` bytes."""
    start = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: "
    end = b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


def _exchange(server: LiveServer, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.settimeout(PATIENCE)
        sock.sendall(data)
        return read_response(sock)


def test_a_head_at_the_cap_is_served(server: LiveServer) -> None:
    status, _, _ = _exchange(server, _get_with_head_of(DEFAULT_MAX_HEAD_BYTES))
    assert status == 200


@pytest.mark.parametrize(
    "size", [DEFAULT_MAX_HEAD_BYTES + 1, 70 * 1024, 200 * 1024, 1024 * 1024, 8 * 1024 * 1024]
)
def test_every_head_over_the_cap_gets_a_readable_431(server: LiveServer, size: int) -> None:
    status, headers, body = _exchange(server, _get_with_head_of(size))
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem(body, 431)


def test_a_pipelined_head_over_the_cap_after_a_body_gets_a_431(server: LiveServer) -> None:
    message = json.dumps(web_event()).encode()
    first = head(f"/collection/{INLET}", **{"Content-Length": str(len(message))}) + message
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.settimeout(PATIENCE)
        sock.sendall(first + _get_with_head_of(70 * 1024))
        received = b""
        while chunk := sock.recv(65536):  # the server closes after the 431
            received += chunk
    accepted, refused = received.split(b"HTTP/1.1 ")[1:]
    assert accepted.startswith(b"200 ") and refused.startswith(b"431 ")
    problem(refused.split(b"\r\n\r\n", 1)[1], 431)
