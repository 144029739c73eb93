"""Validation cost per event, compiled engine (the hot path) against the reference engine.

``python -m bench.validation`` loads the schema registry twice (``engine="compiled"``, the
jsonschema_rs validator the collector uses, and ``engine="reference"``, jsonschema) and
times ``registry.validate(web-events, entity)`` on the ~1.3 KB page view of the ingest
benchmark (bench/messages.py) and on an invalid variant (``_id`` a number, one undeclared
key: the everit-shaped report is built). Each figure is the median of ``--repeat`` runs of
a timed loop, in microseconds per event, on one core. Prints a markdown table for
BENCHMARKS.md; ``--json`` prints the numbers instead.
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

from bench.messages import page_view
from collector.control import seed
from collector.control.settings import Settings
from collector.schemas.registry import SchemaRegistry

TARGET_US = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per figure")
    parser.add_argument("--seconds", type=float, default=0.3, help="rough length of one run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = parser.parse_args(argv)

    schema_id = seed.WEB_EVENTS_SCHEMA
    valid = page_view("9f0c2b1e-4c1d-4a51-9d8e-2f6a7c3b5e10")
    invalid = {**valid, "_id": 12345, "workEmail": "ada@example.com"}
    rows: list[dict[str, Any]] = []
    for engine in ("compiled", "reference"):
        registry = SchemaRegistry.load(Settings.from_env().schemas_dir, engine=engine)
        assert registry.validate(schema_id, valid) == []
        assert len(registry.validate(schema_id, invalid)[0]["causingExceptions"]) == 2
        cases = [("valid", valid, "validate"), ("invalid", invalid, "validate")]
        if engine == "compiled":
            cases.insert(0, ("valid", valid, "is_valid"))
        for label, entity, call in cases:
            method = registry.is_valid if call == "is_valid" else registry.validate
            micros = _time(functools.partial(method, schema_id, entity), args.repeat, args.seconds)
            rows.append(
                {
                    "engine": engine,
                    "call": call,
                    "event": label,
                    "bytes": len(orjson.dumps(entity)),
                    "us_per_event": round(micros, 2),
                    "events_per_second": round(1e6 / micros),
                }
            )
    if args.json:
        print(json.dumps({"machine": _machine(), "results": rows}, indent=2))
    else:
        print(_markdown(rows))
    return 0


def _time(call: Callable[[], object], repeat: int, seconds: float) -> float:
    """Median microseconds per call over ``repeat`` runs of a loop about ``seconds`` long."""
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(seconds / once))
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        runs.append((time.perf_counter() - start) / loops * 1e6)
    return statistics.median(runs)


def _machine() -> dict[str, str]:
    return {"python": platform.python_version(), "machine": platform.machine()}


def _markdown(rows: list[dict[str, Any]]) -> str:
    machine = _machine()
    lines = [
        f"Python {machine['python']} ({machine['machine']}); web-events schema; median of "
        "timed runs, one core. Target on the hot path: <= 10 µs per event.",
        "",
        "| engine | call | event | bytes | µs per event | events/s per core |",
        "|---|---|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['engine']} | `{r['call']}` | {r['event']} | {r['bytes']:,} "
            f"| {r['us_per_event']:,.2f} | {r['events_per_second']:,} |"
        )
    hot = next(
        r for r in rows if (r["engine"], r["call"], r["event"]) == ("compiled", "validate", "valid")
    )
    reference = next(r for r in rows if (r["engine"], r["event"]) == ("reference", "valid"))
    verdict = "meets" if hot["us_per_event"] <= TARGET_US else "MISSES"
    lines += [
        "",
        f"Hot path (compiled, valid event): {hot['us_per_event']:.2f} µs, {verdict} the "
        f"{TARGET_US:g} µs target; {reference['us_per_event'] / hot['us_per_event']:,.0f}x "
        "faster than the reference engine.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
