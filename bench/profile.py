"""Profile projection throughput: lake lines -> profile.db, events per second.

Run: ``.venv/bin/python -m bench.profile`` (``--quick`` for a smoke run). Two scenarios, each in
a fresh temporary data directory with lake segments written the way the lake writer lays them
out (``bench.messages.page_view`` events, about 1.3 KB of XDM each):

- 10k profiles: events spread at random over 10,000 visitors (ECID; one in twenty events also
  carries the visitor's e-mail, so graphs get linked);
- 1M profiles: the store is first seeded with 1,000,000 visitors (one event each, measured as
  "seed"), then events land on visitors drawn at random from the million.

Throughput is lines consumed / time of ``Projector.catch_up`` (SQLite WAL, synchronous=NORMAL,
batches of ``projector_batch_size``), reported twice: per CPU second of this process
(``time.process_time``, which counts the projector and its checkpoint thread and nothing else,
so it holds on a machine shared with other work) and per wall second. Generation is not timed.
``--only small`` or ``--only large`` runs one scenario.

The system time (the kernel's share: page writes, page faults) is printed beside the CPU
time: it is what varies most between runs of the 1M scenario (see BENCHMARKS.md).

``--latency`` measures time to profile instead: a writer appends lines to a lake segment at a
steady rate (``--rate``, 100 lines every 10 ms, each stamped with its write time as
``receivedTimeMs``), the projector runs in its own supervised process (``ProjectorProcess``,
default poll interval), and a reader polls ``experience_events`` every 2 ms; latency is
"visible in SQLite" minus ``receivedTimeMs``, i.e. from the lake append (the moment the
collector acknowledges) to visibility, without the HTTP hop.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench.messages import page_view
from collector.control.settings import Settings
from collector.profile.projector import Projector

DATASET = "e" * 24
SCHEMA = "https://ns.adobe.com/xdm/context/experienceevent"
START_MS = 1_795_000_000_000
_SEGMENT_LINES = 200_000


def _control(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(settings.control_db_path)
    conn.execute(
        "CREATE TABLE datasets (id TEXT PRIMARY KEY, org_id TEXT, name TEXT, schema_id TEXT,"
        " profile_enabled INTEGER, identity_enabled INTEGER, created_at TEXT)"
    )
    conn.execute(
        "INSERT INTO datasets VALUES (?, 'BENCH@AdobeOrg', 'web', ?, 1, 1, '2026-01-01')",
        (DATASET, SCHEMA),
    )
    conn.commit()
    conn.close()


def _write(settings: Settings, visitors: list[int], first: int, *, linked: bool) -> None:
    """One lake line per entry of ``visitors`` (a visitor number), in segments of 200k lines."""
    template = page_view("x")
    for start in range(0, len(visitors), _SEGMENT_LINES):
        received = START_MS + first + start
        when = datetime.fromtimestamp(received / 1000, UTC)
        directory = settings.lake_dir / DATASET / f"date={when:%Y-%m-%d}" / f"hour={when:%H}"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"part-{received:013d}-bench.jsonl"
        with path.open("wb") as f:
            for n, visitor in enumerate(visitors[start : start + _SEGMENT_LINES], first + start):
                entity = dict(template)
                entity["_id"] = f"evt-{n}"
                entity["timestamp"] = f"2026-11-22T10:{(n // 60000) % 60:02d}:00.000Z"
                identity_map = {
                    "ECID": [
                        {
                            "id": f"{visitor:038d}",
                            "primary": True,
                            "authenticatedState": "ambiguous",
                        }
                    ]
                }
                if linked and n % 20 == 0:
                    identity_map["Email"] = [{"id": f"visitor{visitor}@example.com"}]
                entity["identityMap"] = identity_map
                line = {
                    "xactionId": f"{START_MS + n}:1:{n}",
                    "receivedTimeMs": START_MS + n,
                    "inletId": "f" * 64,
                    "datasetId": DATASET,
                    "schemaId": SCHEMA,
                    "orgId": "BENCH@AdobeOrg",
                    "authenticatedRequest": False,
                    "header": {"datasetId": DATASET},
                    "entity": entity,
                    "client": {"ip": "203.0.113.0", "userAgent": None, "browser": "Chrome"},
                }
                f.write(orjson.dumps(line) + b"\n")


@dataclass(frozen=True)
class Run:
    lines: int
    wall: float
    cpu: float
    system: float  # the kernel's share of ``cpu`` (writes, page faults)

    @property
    def per_cpu_second(self) -> float:
        return self.lines / self.cpu if self.cpu else 0.0

    @property
    def per_wall_second(self) -> float:
        return self.lines / self.wall if self.wall else 0.0


def _project(settings: Settings) -> Run:
    projector = Projector(settings)
    try:
        wall, cpu, system = time.perf_counter(), time.process_time(), os.times().system
        lines = projector.catch_up()
        return Run(
            lines,
            time.perf_counter() - wall,
            time.process_time() - cpu,
            os.times().system - system,
        )
    finally:
        projector.close()


def _report(name: str, run: Run, target: int | None) -> None:
    cpu_rate, wall_rate = run.per_cpu_second, run.per_wall_second
    verdict = ""
    if target is not None:
        verdict = f" (target {target:,}: {'met' if cpu_rate >= target else 'MISSED'})"
    print(
        f"{name:<30} {run.lines:>9,} events; CPU {run.cpu:6.1f} s = {cpu_rate:>7,.0f}/s"
        f" (system {run.system:4.1f} s);"
        f" wall {run.wall:6.1f} s = {wall_rate:>7,.0f}/s{verdict}",
        flush=True,
    )


def small(root: Path, profiles: int, events: int, rng: random.Random) -> float:
    settings = Settings(data_dir=root / "small", schemas_dir=root / "none")
    _control(settings)
    _write(settings, [rng.randrange(profiles) for _ in range(events)], 0, linked=True)
    run = _project(settings)
    _report(f"{profiles:,} profiles", run, 50_000)
    return run.per_cpu_second


def large(root: Path, profiles: int, events: int, rng: random.Random) -> float:
    settings = Settings(data_dir=root / "large", schemas_dir=root / "none")
    _control(settings)
    _write(settings, list(range(profiles)), 0, linked=False)
    _report(f"seed: {profiles:,} new profiles", _project(settings), None)
    _write(settings, [rng.randrange(profiles) for _ in range(events)], profiles, linked=True)
    run = _project(settings)
    _report(f"{profiles:,} profiles", run, 20_000)
    return run.per_cpu_second


def latency(root: Path, rate: int, seconds: float) -> None:
    from collector.profile.process import ProjectorProcess

    settings = Settings(data_dir=root / "latency", schemas_dir=root / "none")
    _control(settings)
    when = datetime.fromtimestamp(time.time(), UTC)
    directory = settings.lake_dir / DATASET / f"date={when:%Y-%m-%d}" / f"hour={when:%H}"
    directory.mkdir(parents=True, exist_ok=True)
    segment = directory / f"part-{int(time.time() * 1000):013d}-latency.jsonl"
    process = ProjectorProcess(settings)
    process.start()
    seen: list[float] = []
    stop = threading.Event()
    reader = threading.Thread(target=_watch, args=(settings, seen, stop))
    reader.start()
    template = page_view("x")
    per_tick = max(1, rate // 100)
    sent = 0
    try:
        time.sleep(2.0)  # let the process start and create the store
        with segment.open("ab") as f:
            began = time.monotonic()
            while time.monotonic() - began < seconds:
                now_ms = int(time.time() * 1000)
                lines = []
                for _ in range(per_tick):
                    entity = dict(template)
                    entity["_id"] = f"lat-{sent}"
                    entity["identityMap"] = {"ECID": [{"id": f"{sent % 10_000:038d}"}]}
                    lines.append(
                        orjson.dumps(
                            {
                                "xactionId": f"{now_ms}:1:{sent}",
                                "receivedTimeMs": now_ms,
                                "datasetId": DATASET,
                                "entity": entity,
                            }
                        )
                    )
                    sent += 1
                f.write(b"\n".join(lines) + b"\n")
                f.flush()
                time.sleep(max(0.0, began + sent / rate - time.monotonic()))
        deadline = time.monotonic() + 30
        while len(seen) < sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        reader.join()
        process.stop()
    ordered = sorted(seen)
    if not ordered:
        print("latency: nothing became visible")
        return

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    print(
        f"time to profile at {rate:,} msg/s for {seconds:.0f} s: {len(ordered):,}/{sent:,} visible;"
        f" p50 {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms, max {ordered[-1]:.0f} ms"
        f" (target p99 <= 100 ms: {'met' if pct(0.99) <= 100 else 'MISSED'})"
    )


def _watch(settings: Settings, seen: list[float], stop: threading.Event) -> None:
    last = 0
    conn: sqlite3.Connection | None = None
    while not stop.is_set():
        try:
            if conn is None:
                conn = sqlite3.connect(f"file:{settings.profile_db_path}?mode=ro", uri=True)
            rows = conn.execute(
                "SELECT seq, received_ms FROM experience_events WHERE seq > ? ORDER BY seq",
                (last,),
            ).fetchall()
        except sqlite3.Error:
            rows = []
        now_ms = time.time() * 1000
        for seq, received in rows:
            seen.append(now_ms - received)
            last = seq
        stop.wait(0.002)
    if conn is not None:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profiles", type=int, default=1_000_000, help="size of the large store")
    parser.add_argument("--events", type=int, default=300_000, help="events per scenario")
    parser.add_argument("--only", choices=("small", "large"), help="run one scenario")
    parser.add_argument("--latency", action="store_true", help="measure time to profile")
    parser.add_argument(
        "--http", action="store_true", help="ack to visible over HTTP against collector serve"
    )
    parser.add_argument("--rate", type=int, default=10_000, help="msg/s for --latency, --http")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of --latency, --http")
    args = parser.parse_args()
    if args.http:
        from bench.visibility import measure

        print(measure(args.rate, args.seconds).line(), flush=True)
        return
    if args.latency:
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
            latency(Path(tmp), args.rate, args.seconds)
        return
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        root = Path(tmp)
        small_profiles, large_profiles, events = 10_000, args.profiles, args.events
        if args.quick:
            small_profiles, large_profiles, events = 1_000, 50_000, 20_000
        if args.only in (None, "small"):
            small(root, small_profiles, events, rng)
        if args.only in (None, "large"):
            large(root, large_profiles, events, rng)


if __name__ == "__main__":
    main()
