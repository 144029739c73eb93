"""An open-loop, paced HTTP/1.1 client for latency at a chosen request rate.

wrk is closed-loop (a connection sends its next request only after the previous answer),
so it cannot hold a rate, and wrk2 is not packaged here. This client spreads ``rate``
requests/s over ``connections`` keep-alive connections, each on a fixed schedule. A
request's latency is counted from the moment it was *scheduled*, so a slow answer also
delays (and is charged to) the requests queued behind it: no coordinated omission. The
latency from the actual send is reported too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Result:
    """Latencies in milliseconds; ``rps`` is what was achieved, ``target_rps`` what was asked."""

    requests: int
    errors: int
    seconds: float
    target_rps: float
    p50_ms: float
    p99_ms: float
    p50_sent_ms: float
    p99_sent_ms: float
    max_ms: float
    # CPU seconds per wall second: this client's, and the server's (filled in by the caller).
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    # What went wrong first, when anything did (an exception, or a status other than 200).
    first_error: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class _Tally:
    scheduled: list[float]
    sent: list[float]
    errors: int = 0
    first_error: str = ""

    def failed(self, what: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or what


def run(
    url: str,
    template: bytes,
    *,
    id_mark: str,
    user_agent: str,
    rate: float,
    seconds: float,
    connections: int = 32,
) -> Result:
    """Send ``rate`` requests/s for ``seconds``; the body is ``template`` with a fresh id."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(_run(url, template, id_mark, user_agent, rate, seconds, connections))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _run(
    url: str,
    template: bytes,
    id_mark: str,
    user_agent: str,
    rate: float,
    seconds: float,
    connections: int,
) -> Result:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    prefix, _, suffix = template.partition(id_mark.encode())
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"User-Agent: {user_agent}\r\nContent-Type: application/json\r\n"
    ).encode()
    tally = _Tally([], [])
    cpu_before = time.process_time()
    interval = connections / rate
    start = time.perf_counter() + 0.05
    end = start + seconds
    workers = [
        _connection(
            host,
            port,
            head,
            prefix,
            suffix,
            n,
            start + n * interval / connections,
            interval,
            end,
            tally,
        )
        for n in range(connections)
    ]
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    client_cpu = (time.process_time() - cpu_before) / elapsed
    done = len(tally.scheduled)
    return Result(
        requests=done,
        errors=tally.errors,
        seconds=elapsed,
        target_rps=rate,
        p50_ms=_percentile(tally.scheduled, 50),
        p99_ms=_percentile(tally.scheduled, 99),
        p50_sent_ms=_percentile(tally.sent, 50),
        p99_sent_ms=_percentile(tally.sent, 99),
        max_ms=max(tally.scheduled, default=0.0),
        client_cpu=client_cpu,
        first_error=tally.first_error,
    )


async def _connection(
    host: str,
    port: int,
    head: bytes,
    prefix: bytes,
    suffix: bytes,
    number: int,
    first: float,
    interval: float,
    end: float,
    tally: _Tally,
) -> None:
    due = first
    count = 0
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        tally.failed(f"connect: {exc!r}")
        return
    try:
        while due < end:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            count += 1
            body = prefix + f"paced-{number}-{count}".encode() + suffix
            sent = time.perf_counter()
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status = await _response(reader)
            now = time.perf_counter()
            if status != 200:
                tally.failed(f"status {status}")
            tally.scheduled.append((now - due) * 1000)
            tally.sent.append((now - sent) * 1000)
            due += interval
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
        tally.failed(f"request {count}: {exc!r}")
    finally:
        writer.close()


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
