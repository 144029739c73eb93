"""Cost of validating near-1 MB invalid messages (bounded cost per message).

``python -m bench.invalid`` times ``registry.validate(web-events, entity)`` (the compiled
engine, as the collector runs it) on three entities: 110,000 violations in 960 KB (90,000
wrong types, 20,000 missing keys in ``productListItems``), 90,000 undeclared keys in 980 KB,
and the contract's ordinary invalid event. Best of ``--repeat`` runs, one core; prints a
markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import orjson

from collector.control import seed
from collector.control.settings import Settings
from collector.schemas.registry import SchemaRegistry

BASE = {"_id": "e-1", "timestamp": "2026-11-22T10:00:00Z"}


def cases() -> list[tuple[str, dict[str, Any]]]:
    items: list[dict[str, Any]] = [{"SKU": 1}] * 90_000 + [{}] * 20_000
    return [
        ("110,000 violations", {**BASE, "productListItems": items}),
        ("90,000 undeclared keys", {**BASE, **{f"k{i}": 0 for i in range(90_000)}}),
        ("ordinary (2 violations)", {**BASE, "_id": 12345, "workEmail": "ada@example.com"}),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure")
    args = parser.parse_args(argv)
    registry = SchemaRegistry.load(Settings.from_env().schemas_dir)
    print("| entity | bytes | ms (best) | report |")
    print("|---|---:|---:|---|")
    for name, entity in cases():
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = registry.validate(seed.WEB_EVENTS_SCHEMA, entity)
            best = min(best, time.perf_counter() - start)
        size = len(orjson.dumps(entity))
        print(f"| {name} | {size:,} | {best * 1000:,.1f} | {report[0]['message']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
