"""Monitoring: per-dataset counts of accepted and failed messages, read from the lake.

Counting lake lines (not in-memory counters) keeps the numbers right across workers and
restarts. Each segment is scanned incrementally: only bytes added since the last look are read.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control.plane import Dataset
from collector.guard import access
from collector.lake import watermark
from collector.lake.hours import HourIndex
from collector.lake.layout import failed_partition
from collector.lake.lines import compacted_count
from collector.web.responses import json_response

_CHUNK = 1 << 20


class LakeCounts:
    """Lines per partition of the lake, remembered per segment between calls.

    Segments of finished hours (``collector.lake.hours``) are counted once and then only
    their totals are kept: a request costs the same with ten segments or a year of them.
    """

    def __init__(self, root: Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.root = root
        self._index = HourIndex(root, on_retire=self._retire, clock=clock)
        self._seen: dict[str, tuple[int, int]] = {}  # active segment -> (bytes read, lines)
        self._retired: dict[str, tuple[int, int]] = {}  # partition -> (lines, segments)
        self._retired_segments: set[str] = set()
        self._partitions: set[str] = set()
        self._lock = threading.Lock()

    def lines(self, partition: str) -> tuple[int, int]:
        """(lines, segments) of one partition, e.g. a dataset id or ``_failed/<id>``."""
        return self.count([partition])[partition]

    def count(self, partitions: list[str]) -> dict[str, tuple[int, int]]:
        """(lines, segments) of each partition, from one look at the lake."""
        with self._lock:
            self._partitions.update(partitions)
            self._index.poll(self._partitions)
            totals = {p: self._retired.get(p, (0, 0)) for p in partitions}
            for segment, partition in self._index.active.items():
                if segment in self._retired_segments:  # active again after a rescan
                    self._index.done(segment)  # closed and counted: it retires again
                elif partition in totals:
                    lines, segments = totals[partition]
                    totals[partition] = (lines + self._count(segment), segments + 1)
            return totals

    def _count(self, segment: str) -> int:
        offset, lines = self._seen.get(segment, (0, 0))
        path = self.root / segment
        closed = watermark.read(path) is None  # before reading: a closed one does not grow
        try:
            with path.open("rb") as f:
                if os.fstat(f.fileno()).st_size < offset:  # rewritten by an erasure: recount
                    offset, lines = 0, 0
                f.seek(offset)
                while chunk := f.read(_CHUNK):
                    lines += chunk.count(b"\n")
                    offset += len(chunk)
        except FileNotFoundError:  # compacted, and its JSON lines replaced: its Parquet rows
            held = compacted_count(self.root, segment)
            if held is None:
                return 0
            lines, offset = held
        self._seen[segment] = (offset, lines)
        if closed:
            self._index.done(segment)
        return lines

    def _retire(self, partition: str, segments: set[str]) -> None:
        lines, count = self._retired.get(partition, (0, 0))
        for segment in segments - self._retired_segments:  # a rescan retires them again
            lines += self._seen.pop(segment, (0, 0))[1]
            count += 1
            self._retired_segments.add(segment)
        self._retired[partition] = (lines, count)


def dataset_report(datasets: list[Dataset], counts: LakeCounts) -> list[dict[str, Any]]:
    report = []
    partitions = [p for d in datasets for p in (d.id, failed_partition(d.id))]
    totals = counts.count(partitions)
    for dataset in datasets:
        accepted, segment_count = totals[dataset.id]
        failed, _ = totals[failed_partition(dataset.id)]
        report.append(
            {
                "datasetId": dataset.id,
                "name": dataset.name,
                "orgId": dataset.org_id,
                "schemaId": dataset.schema_id,
                "accepted": accepted,
                "failed": failed,
                "segments": segment_count,
            }
        )
    return report


async def _datasets(request: Request) -> Response:
    state = request.app.state
    principal = access.require(request, "monitoring:read")
    # On the loop: the connection is not shared. Only the caller's org's datasets.
    datasets = state.control.datasets(principal.org_id)
    report = await run_in_threadpool(dataset_report, datasets, state.lake_counts)
    return json_response({"datasets": report})


def routes() -> list[BaseRoute]:
    return [Route("/monitoring/datasets", _datasets, methods=["GET"])]
