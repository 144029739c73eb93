"""Markdown tables of one ingest benchmark run, ready for BENCHMARKS.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.ingest import Run

SINGLE_RATIO_TARGET = 0.50
BATCH_MPS_TARGET = 100_000
HALF_LOAD_P99_TARGET_MS = 25.0


def markdown(run: Run, machine: dict[str, str]) -> str:
    o = run.options
    lines = [
        f"{o.seconds:g} s per measurement, wrk -t{o.threads}, {o.connections} connections "
        f"(single), {o.batch_connections} (batch of {o.batch_size}); "
        f"{machine['cpus']} CPUs, Python {machine['python']}.",
        "",
        "| workers | load | server | conns | req/s | msg/s | p50 ms | p99 ms | errors "
        "| server CPU | CPU µs/msg | lake lines (failed) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in run.measurements:
        r = m.result
        lake = "" if m.lake_lines is None else f"{m.lake_lines:,} ({m.failed_lines})"
        lines.append(
            f"| {m.workers} | {m.load} | {m.server} | {m.connections} | {r.rps:,.0f} "
            f"| {m.mps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} "
            f"| {r.server_cpu:.2f} | {_cpu_per_message(r.server_cpu, m.mps)} | {lake} |"
        )
    lines += [
        "",
        "| workers | single: collector/bare req/s | batch: collector msg/s (collector/bare) "
        "| half load: achieved/asked req/s | p50 / p99 ms (from schedule) | p99 ms from send "
        "| server / client CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for workers in o.workers:
        lines.append(_summary_row(run, workers))
    lines += ["", *_verdict(run)]
    lines += [
        "",
        "server CPU: CPU seconds of all the server's processes per wall second (1.00 = one "
        "core); CPU µs/msg: that CPU time per message.",
    ]
    return "\n".join(lines)


def _cpu_per_message(cpu: float, mps: float) -> str:
    """Server CPU time per message: steadier than throughput on a shared machine."""
    return f"{cpu / mps * 1e6:,.0f}" if mps else "n/a"


def _summary_row(run: Run, workers: int) -> str:
    single = _ratio(run, workers, "single")
    batch_c = run.find(workers, "batch", "collector")
    batch = "n/a"
    if batch_c is not None:
        batch = f"{batch_c.mps:,.0f} ({_ratio(run, workers, 'batch')})"
    half = run.half_load.get(workers)
    if half is None:
        return f"| {workers} | {single} | {batch} | n/a | n/a | n/a | n/a |"
    return (
        f"| {workers} | {single} | {batch} | {half.rps:,.0f} / {half.target_rps:,.0f} "
        f"| {half.p50_ms:.2f} / {half.p99_ms:.2f} | {half.p99_sent_ms:.2f} "
        f"| {half.server_cpu:.2f} / {half.client_cpu:.2f} |"
    )


def _ratio(run: Run, workers: int, load: str) -> str:
    coll = run.find(workers, load, "collector")
    bare = run.find(workers, load, "bare")
    if coll is None or bare is None or bare.result.rps == 0:
        return "n/a"
    return f"{coll.result.rps / bare.result.rps:.2f}"


def _verdict(run: Run) -> list[str]:
    out = []
    for workers in run.options.workers:
        checks = []
        coll = run.find(workers, "single", "collector")
        bare = run.find(workers, "single", "bare")
        if coll is not None and bare is not None and bare.result.rps:
            ratio = coll.result.rps / bare.result.rps
            checks.append(_check("single ≥ 50% of bare", ratio >= SINGLE_RATIO_TARGET))
        batch = run.find(workers, "batch", "collector")
        if batch is not None:
            checks.append(_check("batch ≥ 100,000 msg/s", batch.mps >= BATCH_MPS_TARGET))
        half = run.half_load.get(workers)
        if half is not None:
            checks.append(
                _check("p99 ≤ 25 ms at half load", half.p99_ms <= HALF_LOAD_P99_TARGET_MS)
            )
        failed = sum(m.failed_lines or 0 for m in run.measurements if m.workers == workers)
        errors = sum(m.result.errors for m in run.measurements if m.workers == workers)
        checks.append(_check("no errors, no failed lake lines", failed == 0 and errors == 0))
        out.append(f"- workers={workers}: " + "; ".join(checks))
    return out


def _check(label: str, ok: bool) -> str:
    return f"{label}: {'met' if ok else 'NOT met'}"
