"""Acknowledgement to visibility in the profile store, over HTTP against a live server.

Starts ``collector serve`` (``tests.server.LiveServer``: one worker, the projector on, the
per-inlet rate limits raised out of the way) on a fresh data directory, then sends page-view
events in 100-message batches to ``/collection/batch/{inletId}`` at a steady rate from an
open-loop asyncio client (each connection on a fixed schedule, like ``bench/paced.py``). A
reader thread polls ``profile.db`` every 2 ms for new ``experience_events`` rows. For every
event, latency = the moment its row was seen minus the moment its batch was acknowledged
(the 207 received by the client; a message whose entry carries an error status counts as an
error), both on this process's clock, and never below 0 (a row can become visible before the
answer has travelled back). Events land on ``visitors`` random ECIDs. Client, server and
projector share the machine's two cores.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from bench.messages import ID_MARK, envelope, page_view, user_agent
from tests.demo import INLET
from tests.server import LiveServer

_VISITOR_MARK = "@@VISITOR@@"
_BATCH = 100
_UNLIMITED = "10000000"


@dataclass
class _Tally:
    acked: dict[str, float] = field(default_factory=dict)  # event id -> ack time
    seen: dict[str, float] = field(default_factory=dict)  # event id -> visible time
    sent: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Visibility:
    rate: int
    seconds: float
    sent: int
    acked: int
    visible: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def line(self) -> str:
        verdict = "met" if self.p99_ms <= 100 else "MISSED"
        return (
            f"ack to visible at {self.rate:,} msg/s for {self.seconds:.0f} s (HTTP, 100-message"
            f" batches): {self.visible:,}/{self.acked:,} acked visible, {self.errors} errors;"
            f" p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms, max {self.max_ms:.0f} ms"
            f" (target p99 <= 100 ms: {verdict})"
        )


def measure(
    rate: int, seconds: float, *, visitors: int = 10_000, connections: int = 8
) -> Visibility:
    with tempfile.TemporaryDirectory(prefix="bench-visibility-") as tmp:
        data_dir = Path(tmp) / "data"
        env = {
            "COLLECTOR_RUN_PROJECTOR": "true",
            "COLLECTOR_RATE_LIMIT_REQUESTS_PER_SECOND": _UNLIMITED,
            "COLLECTOR_RATE_LIMIT_MESSAGES_PER_SECOND": _UNLIMITED,
            "COLLECTOR_RATE_LIMIT_PER_IP_PER_SECOND": "0",
            "COLLECTOR_LOG_LEVEL": "warning",
        }
        tally = _Tally()
        with LiveServer(data_dir, env=env) as server:
            stop = threading.Event()
            db = data_dir / "profile.db"
            watcher = threading.Thread(target=_watch, args=(db, tally, stop))
            watcher.start()
            try:
                time.sleep(1.0)  # the projector process starts and opens the store
                asyncio.run(_send(server.port, rate, seconds, visitors, connections, tally))
                deadline = time.monotonic() + 30
                while len(tally.seen) < len(tally.acked) and time.monotonic() < deadline:
                    time.sleep(0.05)
            finally:
                stop.set()
                watcher.join()
    latencies = sorted(
        max(0.0, (tally.seen[e] - acked) * 1000)
        for e, acked in tally.acked.items()
        if e in tally.seen
    )

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    return Visibility(
        rate,
        seconds,
        tally.sent,
        len(tally.acked),
        len(latencies),
        tally.errors,
        pct(0.5),
        pct(0.99),
        latencies[-1] if latencies else 0.0,
    )


def _template() -> tuple[bytes, bytes, bytes]:
    """One message split around its event id and its visitor's ECID."""
    entity = page_view(ID_MARK)
    entity["identityMap"] = {"ECID": [{"id": _VISITOR_MARK, "primary": True}]}
    raw = orjson.dumps(envelope(entity))
    before_id, _, rest = raw.partition(ID_MARK.encode())
    between, _, after = rest.partition(_VISITOR_MARK.encode())
    return before_id, between, after


async def _send(
    port: int, rate: int, seconds: float, visitors: int, connections: int, tally: _Tally
) -> None:
    interval = connections * _BATCH / rate
    start = time.perf_counter() + 0.05
    end = start + seconds
    parts = _template()
    await asyncio.gather(
        *(
            _connection(
                port, n, start + n * interval / connections, interval, end, parts, tally, visitors
            )
            for n in range(connections)
        )
    )


async def _connection(
    port: int,
    number: int,
    first: float,
    interval: float,
    end: float,
    parts: tuple[bytes, bytes, bytes],
    tally: _Tally,
    visitors: int,
) -> None:
    rng = random.Random(number)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /collection/batch/{INLET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"User-Agent: {user_agent()}\r\nContent-Type: application/json\r\n"
    ).encode()
    before_id, between, after = parts
    due, count = first, 0
    try:
        while due < end:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            ids = [f"http-{number}-{count}-{i}" for i in range(_BATCH)]
            count += 1
            messages = b",".join(
                before_id + e.encode() + between + b"%038d" % rng.randrange(visitors) + after
                for e in ids
            )
            body = b'{"messages":[' + messages + b"]}"
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            tally.sent += _BATCH
            status, answer = await _response(reader)
            acked = time.time()
            if status == 207:  # accepted: one entry per message, in order
                entries = orjson.loads(answer)["responses"]
                for e, entry in zip(ids, entries, strict=True):
                    if "status" in entry:  # this message was refused
                        tally.errors += 1
                    else:
                        tally.acked[e] = acked
            else:
                tally.errors += _BATCH
            due += interval
    finally:
        writer.close()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return int(lines[0].split()[1]), body


def _watch(db: Path, tally: _Tally, stop: threading.Event) -> None:
    last = 0
    conn: sqlite3.Connection | None = None
    while not stop.is_set():
        try:
            if conn is None:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            rows = conn.execute(
                "SELECT seq, event_id FROM experience_events WHERE seq > ? ORDER BY seq", (last,)
            ).fetchall()
        except sqlite3.Error:
            rows = []
        now = time.time()
        for seq, event_id in rows:
            tally.seen.setdefault(event_id, now)
            last = seq
        stop.wait(0.002)
    if conn is not None:
        conn.close()
