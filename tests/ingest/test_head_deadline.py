"""The request-head deadline of ``collector/web/protocol.py`` over real sockets, on
keep-alive connections: its timer is armed once and re-armed for the head in progress when
it fires, so a later head gets its whole deadline and a trickled later head is still cut off."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.conftest import INLET, web_event
from tests.guard.test_sockets import closed_by_server, connect, head, read_response
from tests.server import LiveServer

pytestmark = pytest.mark.slow

DEADLINE = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("deadline") / "data"
    env = {"COLLECTOR_REQUEST_TIMEOUT_SECONDS": str(DEADLINE)}
    with LiveServer(data_dir, env=env) as live:
        yield live


MESSAGE = json.dumps(web_event()).encode()
REQUEST = head(f"/collection/{INLET}", **{"Content-Length": str(len(MESSAGE))})


def test_a_later_head_is_timed_from_its_own_start(server: LiveServer) -> None:
    """The connection's timer fires while the second head is on its way, less than a
    deadline after that head began: the head is served."""
    with connect(server) as sock:
        sock.sendall(REQUEST + MESSAGE)
        assert read_response(sock)[0] == 200
        # The next head is sent from 0.5 to 1.25 deadlines after the connection opened: the
        # timer armed then fires in the middle of it, a quarter of a deadline before its end.
        time.sleep(0.5 * DEADLINE)
        pieces = [REQUEST[i : i + 8] for i in range(0, len(REQUEST), 8)]
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.75 * DEADLINE / len(pieces))
        sock.sendall(MESSAGE)
        assert read_response(sock)[0] == 200


def test_a_trickled_later_head_is_cut_off(server: LiveServer) -> None:
    with connect(server) as sock:
        for _ in range(2):
            sock.sendall(REQUEST + MESSAGE)
            assert read_response(sock)[0] == 200
        sock.sendall(f"POST /collection/{INLET} HTTP/1.1\r\nHost: x\r\n".encode())
        cut_off = False
        for _ in range(100):
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except (BrokenPipeError, ConnectionResetError):
                cut_off = True
                break
            time.sleep(0.2)
        assert cut_off or closed_by_server(sock)
