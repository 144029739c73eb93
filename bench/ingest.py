"""Ingest benchmark: the real collector against a bare Starlette endpoint, in one run.

``python -m bench.ingest`` (or ``make bench``) starts, for each worker count, a bare
endpoint (bench/bare_app.py) and a fresh ``collector serve`` per measurement (new data
directory, projector off, per-inlet rate limits raised), all on 127.0.0.1, and drives them
with wrk: single ~1.3 KB web events and 100-message batches. Then it measures the
collector's latency at half its measured single-message throughput with the paced open-loop
client (bench/paced.py). It prints markdown tables; ``--json`` also writes the raw numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import messages, paced, servers, wrk
from bench.report import markdown
from collector.control import seed

SINGLE_PATH = f"/collection/{servers.INLET}"
BATCH_PATH = f"/collection/batch/{servers.INLET}"


@dataclass(frozen=True)
class Options:
    seconds: float = 10.0
    connections: int = 64
    batch_connections: int = 16
    batch_size: int = 100
    threads: int = 1
    workers: tuple[int, ...] = (1, 2)
    half_load_connections: int = 64
    warmup_seconds: float = 1.0
    data_root: Path | None = None


@dataclass
class Measurement:
    """One wrk run: ``server`` is "collector" or "bare", ``load`` "single" or "batch"."""

    workers: int
    load: str
    server: str
    connections: int
    messages_per_request: int
    result: wrk.Result
    lake_lines: int | None = None
    failed_lines: int | None = None

    @property
    def mps(self) -> float:
        return self.result.rps * self.messages_per_request


@dataclass
class Run:
    options: Options
    measurements: list[Measurement] = field(default_factory=list)
    half_load: dict[int, paced.Result] = field(default_factory=dict)

    def find(self, workers: int, load: str, server: str) -> Measurement | None:
        for m in self.measurements:
            if (m.workers, m.load, m.server) == (workers, load, server):
                return m
        return None


def run(options: Options, *, log: bool = True) -> Run:
    """Every measurement of one benchmark run; servers are stopped whatever happens."""
    result = Run(options)
    root = Path(tempfile.mkdtemp(prefix="xdm-bench-", dir=options.data_root))
    try:
        for workers in options.workers:
            _measure_workers(result, workers, root, log)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return result


def _measure_workers(result: Run, workers: int, root: Path, log: bool) -> None:
    options = result.options
    loads = [
        ("single", SINGLE_PATH, messages.single_template(), 1, options.connections),
        (
            "batch",
            BATCH_PATH,
            messages.batch(options.batch_size),
            options.batch_size,
            options.batch_connections,
        ),
    ]
    with _running(servers.bare(workers, root)) as bare:
        for load, path, body, size, connections in loads:
            # Alternate bare and collector so drift on a shared machine hits both alike.
            bare_m = _measure(options, bare, path, body, connections)
            result.measurements.append(
                Measurement(workers, load, "bare", connections, size, bare_m)
            )
            _say(log, f"workers={workers} {load:6} bare      {_line(bare_m, size)}")
            with _collector(root, workers) as (server, data_dir):
                coll_m = _measure(options, server, path, body, connections)
                accepted, failed = _lake_lines(data_dir)
            result.measurements.append(
                Measurement(workers, load, "collector", connections, size, coll_m, accepted, failed)
            )
            _say(log, f"workers={workers} {load:6} collector {_line(coll_m, size)}")
    single = result.find(workers, "single", "collector")
    if single is not None and single.result.rps > 0:
        rate = single.result.rps / 2
        half = _half_load(options, root, workers, rate)
        if half.requests == 0:  # no request got through (seen once): say why, measure again
            _say(log, f"workers={workers} half load failed: {half.first_error}; again")
            half = _half_load(options, root, workers, rate)
        result.half_load[workers] = half
        _say(
            log,
            f"workers={workers} half load {half.rps:,.0f}/{rate:,.0f} req/s "
            f"p50 {half.p50_ms:.2f} ms p99 {half.p99_ms:.2f} ms "
            f"(from send {half.p99_sent_ms:.2f}) errors {half.errors} "
            f"server CPU {half.server_cpu:.2f} client CPU {half.client_cpu:.2f}",
        )


def _half_load(options: Options, root: Path, workers: int, rate: float) -> paced.Result:
    """The paced client at ``rate`` against a fresh, warmed collector."""
    with _collector(root, workers) as (server, _):
        _warm(options, server, SINGLE_PATH, messages.single_template(), options.connections)
        cpu_before = server.cpu_seconds()
        half = paced.run(
            server.base_url + SINGLE_PATH,
            messages.single_template(),
            id_mark=messages.ID_MARK,
            user_agent=messages.user_agent(),
            rate=rate,
            seconds=options.seconds,
            connections=options.half_load_connections,
        )
        server_cpu = (server.cpu_seconds() - cpu_before) / half.seconds if half.seconds > 0 else 0.0
        if half.requests == 0:
            tail = "\n".join(server.log().splitlines()[-20:])
            half = dataclasses.replace(half, first_error=f"{half.first_error}\n{tail}".strip())
    return dataclasses.replace(half, server_cpu=server_cpu)


def _measure(
    options: Options, server: servers.Server, path: str, body: bytes, connections: int
) -> wrk.Result:
    _warm(options, server, path, body, connections)
    cpu_before = server.cpu_seconds()
    result = _wrk(options, server.base_url + path, body, options.seconds, connections)
    cpu = (server.cpu_seconds() - cpu_before) / result.seconds if result.seconds else 0.0
    return dataclasses.replace(result, server_cpu=cpu)


def _warm(
    options: Options, server: servers.Server, path: str, body: bytes, connections: int
) -> None:
    if options.warmup_seconds > 0:
        _wrk(options, server.base_url + path, body, options.warmup_seconds, connections)


def _wrk(options: Options, url: str, body: bytes, seconds: float, connections: int) -> wrk.Result:
    return wrk.run(
        url,
        body,
        id_mark=messages.ID_MARK,
        user_agent=messages.user_agent(),
        seconds=seconds,
        connections=connections,
        threads=options.threads,
    )


@contextmanager
def _running(server: servers.Server) -> Iterator[servers.Server]:
    try:
        server.start(SINGLE_PATH, messages.single())
        yield server
    finally:
        server.stop()


@contextmanager
def _collector(root: Path, workers: int) -> Iterator[tuple[servers.Server, Path]]:
    """A collector on a fresh data directory, removed afterwards (batch runs write GBs)."""
    data_dir = Path(tempfile.mkdtemp(prefix="data-", dir=root))
    try:
        with _running(servers.collector(data_dir, workers, root)) as server:
            yield server, data_dir
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _lake_lines(data_dir: Path) -> tuple[int, int]:
    """Lines in the web-events partition and in the failed area: the work was really done."""
    lake = data_dir / "lake"
    return _count_lines(lake / seed.WEB_EVENTS), _count_lines(lake / "_failed")


def _count_lines(directory: Path) -> int:
    total = 0
    for path in directory.rglob("*.jsonl"):
        with path.open("rb") as f:
            while chunk := f.read(1 << 22):
                total += chunk.count(b"\n")
    return total


def _line(result: wrk.Result, size: int) -> str:
    return (
        f"{result.rps:>9,.0f} req/s {result.rps * size:>10,.0f} msg/s "
        f"p50 {result.p50_ms:7.2f} ms p99 {result.p99_ms:8.2f} ms errors {result.errors} "
        f"server CPU {result.server_cpu:.2f}"
    )


def _say(enabled: bool, text: str) -> None:
    if enabled:
        print(text, file=sys.stderr, flush=True)


# -- profiling ----------------------------------------------------------------------------


def profile(
    options: Options, top: int = 15, raw_out: Path | None = None, *, batch: bool = False
) -> list[tuple[str, float]]:
    """py-spy on a one-worker collector under the single (or batch) load: top own-time frames.

    Samples only threads holding the GIL (``--gil``): Python-level CPU work, not idle waits.
    A C function's time counts as its Python caller's. ``raw_out`` keeps the collapsed stacks
    (for flame graphs or finding callers).
    """
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    path, body = SINGLE_PATH, messages.single_template()
    connections = options.connections
    if batch:
        path, body = BATCH_PATH, messages.batch(options.batch_size)
        connections = options.batch_connections
    root = Path(tempfile.mkdtemp(prefix="xdm-bench-", dir=options.data_root))
    raw = root / "profile.txt"
    try:
        with _collector(root, 1) as (server, _):
            _warm(options, server, path, body, connections)
            argv = [spy, "record", "--pid", str(server.pid), "--format", "raw", "--nolineno"]
            argv += ["--gil", "--rate", "250", "--duration", str(round(options.seconds))]
            argv += ["-o", str(raw)]
            sampler = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(0.5)
            _wrk(options, server.base_url + path, body, options.seconds, connections)
            _, err = sampler.communicate(timeout=options.seconds + 60)
            if sampler.returncode != 0 or not raw.exists():
                raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')}")
        if raw_out is not None:
            shutil.copyfile(raw, raw_out)
        return own_time(raw.read_text(), top)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def own_time(collapsed: str, top: int) -> list[tuple[str, float]]:
    """Share of samples whose innermost frame is each function, from collapsed stacks."""
    counts: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        counts[leaf] = counts.get(leaf, 0) + int(count)
        total += int(count)
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return [(name, 100 * n / total) for name, n in ranked]


# -- command line -------------------------------------------------------------------------


def _machine() -> dict[str, str]:
    return {
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--quick", action="store_true", help="3 s per measurement")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections, single")
    parser.add_argument("--batch-connections", type=int, default=16, help="wrk conns, batch")
    parser.add_argument("--batch-size", type=int, default=100, help="messages per batch")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="uvicorn workers")
    parser.add_argument(
        "--half-load-connections", type=int, default=64, help="paced client connections"
    )
    parser.add_argument("--data-root", type=Path, default=None, help="where data dirs go")
    parser.add_argument("--json", type=Path, default=None, help="also write raw results here")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the collector instead (top 15 own time)"
    )
    parser.add_argument("--profile-raw", type=Path, default=None, help="keep py-spy stacks")
    parser.add_argument("--profile-batch", action="store_true", help="profile the batch load")
    args = parser.parse_args(argv)
    if not wrk.available():
        parser.error(f"{wrk.WRK} is missing: `make system-deps` installs it")
    options = Options(
        seconds=3.0 if args.quick else args.duration,
        connections=args.connections,
        batch_connections=args.batch_connections,
        batch_size=args.batch_size,
        threads=args.threads,
        workers=tuple(args.workers),
        half_load_connections=args.half_load_connections,
        data_root=args.data_root,
    )
    if args.profile:
        for name, share in profile(options, raw_out=args.profile_raw, batch=args.profile_batch):
            print(f"{share:6.2f}%  {name}")
        return 0
    result = run(options)
    print(markdown(result, _machine()))
    if args.json is not None:
        raw = {
            "machine": _machine(),
            "options": {k: str(v) for k, v in asdict(options).items()},
            "measurements": [
                {
                    **{k: v for k, v in asdict(m).items() if k != "result"},
                    **asdict(m.result),
                    "rps": m.result.rps,
                    "mps": m.mps,
                }
                for m in result.measurements
            ],
            "half_load": {w: {**asdict(h), "rps": h.rps} for w, h in result.half_load.items()},
        }
        args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
