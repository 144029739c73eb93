"""An idle collector on a big lake: the projector's CPU and ``/monitoring/datasets`` latency.

Run: ``.venv/bin/python -m bench.idle`` (``--segments 10 20000`` by default, ``--seconds`` of
idle projector per size, 10 by default). For each size, in a fresh temporary data directory:

- a control plane with one profile-enabled dataset, and a lake of that many hourly segments
  (one per hour, back from the previous hour, two page-view lines each, closed), plus the
  current hour's segment held open the way a live writer holds it (a watermark file);
- the projector catches up (timed, reported), waits 2.5 s (a directory changed in the last
  two seconds is listed at every poll: its mtime may hide a change), then runs its idle
  loop (``run_projector``'s poll every ``projector_poll_ms``) for ``--seconds``: CPU = CPU
  seconds of this process (``time.process_time``: the projector and its checkpoint thread,
  nothing else runs) per wall second, 1.00 = one core busy;
- ``GET /monitoring/datasets`` through the real app (``TestClient``, projector process off):
  the first request (counts every segment once) and the median and max of the next 20.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench.messages import page_view
from collector.control.plane import ControlPlane
from collector.control.settings import Settings
from collector.lake import layout, watermark
from collector.profile.projector import Projector, _loop

ORG = "BENCH@AdobeOrg"
SCHEMA = "https://ns.adobe.com/xdm/context/experienceevent"


@dataclass(frozen=True)
class Result:
    segments: int
    catch_up_s: float
    idle_cpu: float  # CPU seconds per wall second
    first_ms: float
    median_ms: float
    max_ms: float


def _lake(settings: Settings, dataset_id: str, segments: int) -> None:
    now_hour = layout.hour_of(int(time.time() * 1000))
    template = page_view("x")
    for n in range(segments + 1):
        hour = now_hour - segments + n  # the last one is the current hour
        path = layout.segment_path(settings.lake_dir, dataset_id, hour, hour * 3_600_000, "b1")
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        for k in range(2):
            entity = {**template, "_id": f"evt-{n}-{k}"}
            entity["identityMap"] = {"ECID": [{"id": f"{n % 5000:038d}", "primary": True}]}
            line = {
                "xactionId": f"{n}:{k}",
                "receivedTimeMs": hour * 3_600_000 + k,
                "inletId": "f" * 64,
                "datasetId": dataset_id,
                "schemaId": SCHEMA,
                "orgId": ORG,
                "header": {"datasetId": dataset_id},
                "entity": entity,
            }
            lines.append(orjson.dumps(line) + b"\n")
        path.write_bytes(b"".join(lines))
        if n == segments:  # held open by a live writer
            layout.watermark_path(path).write_bytes(watermark.encode(path.stat().st_size))


def measure(segments: int, seconds: float, root: Path) -> Result:
    settings = Settings(data_dir=root / f"idle-{segments}", run_projector=False, seed_demo=False)
    control = ControlPlane(settings.control_db_path)
    control.create_org(ORG, "Bench")
    dataset = control.create_dataset(
        org_id=ORG, name="web", schema_id=SCHEMA, profile_enabled=True, identity_enabled=True
    )
    control.close()
    _lake(settings, dataset.id, segments)

    projector = Projector(settings)
    started = time.perf_counter()
    projector.catch_up()
    catch_up = time.perf_counter() - started
    projector.step()  # the finished hours retire
    time.sleep(2.5)  # a directory changed in the last 2 s is listed at every poll
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    timer.start()
    _loop(projector, settings, stop)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    projector.close()

    from starlette.testclient import TestClient

    from collector.app import create_app

    times: list[float] = []
    with TestClient(create_app(settings), headers=_monitoring_headers(settings)) as client:
        for _ in range(21):
            t0 = time.perf_counter()
            response = client.get("/monitoring/datasets")
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text
            (row,) = response.json()["datasets"]
            assert row["segments"] == segments + 1 and row["accepted"] == 2 * (segments + 1)
    return Result(
        segments, catch_up, cpu / wall, times[0], statistics.median(times[1:]), max(times[1:])
    )


def _monitoring_headers(settings: Settings) -> dict[str, str]:
    """A credential of the bench org with ``monitoring:read``, through the real stores."""
    from collector.guard.access_tokens import request_headers

    return request_headers(settings.control_db_path, ORG, ["monitoring:read"], name="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segments", type=int, nargs="+", default=[10, 20_000])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(
        "| finished segments | catch-up s | idle projector CPU | first request ms |"
        " median ms | max ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        for n in args.segments:
            r = measure(n, args.seconds, Path(tmp))
            print(
                f"| {r.segments:,} | {r.catch_up_s:.1f} | {r.idle_cpu:.1%} | {r.first_ms:.0f} |"
                f" {r.median_ms:.1f} | {r.max_ms:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
