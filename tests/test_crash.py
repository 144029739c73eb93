"""kill -9 under load: every acknowledged message is in the lake exactly once afterwards."""

from __future__ import annotations

import asyncio
import collections
import time
from pathlib import Path

import httpx
import orjson
import pytest

from collector.lake.segments import segments
from tests.conftest import INLET, WEB, web_event
from tests.server import LiveServer

pytestmark = pytest.mark.slow


async def _load(
    base_url: str, acked: list[str], stop_at: float, worker: int, killed: asyncio.Event
) -> None:
    """Send singles and batches until the deadline or the kill; keep what was acknowledged.

    Before the kill, a slow answer (a 2-core CI machine busy with other work) is retried, not
    taken for the end of the server: only after ``killed`` does a transport error end the loop.
    """
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            try:
                if (worker + n) % 3 == 0:
                    r = await client.post(
                        f"/collection/batch/{INLET}",
                        json={"messages": [web_event() for _ in range(20)]},
                    )
                    if r.status_code == 207:
                        acked += [
                            e["xactionId"] for e in r.json()["responses"] if "status" not in e
                        ]
                else:
                    r = await client.post(f"/collection/{INLET}", json=web_event())
                    if r.status_code == 200:
                        acked.append(r.json()["xactionId"])
            except httpx.HTTPError:
                if killed.is_set():
                    return  # the server is gone
                await asyncio.sleep(0.05)


def _all_lines(lake: Path) -> list[dict[str, object]]:
    """Every line of every segment; raises if any line does not parse."""
    return [orjson.loads(line) for seg in segments(lake) for line in seg.read_bytes().splitlines()]


def test_sigkill_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    acked: list[str] = []
    server = LiveServer(data, workers=2).start()
    try:
        # One acknowledged message first: the load below starts against a server that answers.
        first = httpx.post(f"{server.base_url}/collection/{INLET}", json=web_event(), timeout=60)
        assert first.status_code == 200, f"{first.status_code} {first.text}\n{server.log()}"
        acked.append(first.json()["xactionId"])

        async def run() -> None:
            stop_at = time.monotonic() + 120
            killed = asyncio.Event()
            tasks = [
                asyncio.create_task(_load(server.base_url, acked, stop_at, w, killed))
                for w in range(16)
            ]
            # Until 3,000 acknowledgements, or the load's own deadline (then the count below
            # fails the test instead of waiting forever).
            while len(acked) < 3000 and time.monotonic() < stop_at:
                await asyncio.sleep(0.05)
            killed.set()
            server.kill()  # SIGKILL mid-load, requests in flight
            await asyncio.gather(*tasks)

        asyncio.run(run())
    finally:
        server.kill()
    assert len(acked) >= 3000, f"only {len(acked)} acknowledgements under load\n{server.log()}"

    lake = data / "lake"
    # Simulate what a crash in the middle of a write leaves: a torn last line.
    last = segments(lake, WEB)[-1]
    with last.open("ab") as f:
        f.write(b'{"xactionId": "torn-by-crash", "entity": {"_id": "x", "tim')

    with LiveServer(data) as again:
        r = httpx.post(f"{again.base_url}/collection/{INLET}", json=web_event())
        assert r.status_code == 200
        acked.append(r.json()["xactionId"])

    records = _all_lines(lake)  # every line parses
    counts = collections.Counter(r["xactionId"] for r in records if r.get("datasetId") == WEB)
    missing = [x for x in acked if counts[x] == 0]
    duplicated = [x for x, c in counts.items() if c > 1]
    assert missing == []
    assert duplicated == []
    assert "torn-by-crash" not in counts
    report = (lake / "_torn" / "report.jsonl").read_bytes()
    assert last.name.encode() in report
