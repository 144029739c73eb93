"""Monitoring: per-dataset counts of accepted and failed messages, read from the lake.

Counting lake lines (not in-memory counters) keeps the numbers right across workers and
restarts. Each segment is scanned incrementally: only bytes added since the last look are read.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from collector.control.plane import Dataset
from collector.lake.layout import failed_partition, segments
from collector.web.responses import json_response

_CHUNK = 1 << 20


class LakeCounts:
    """Lines per partition of the lake, remembered per segment between calls."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._seen: dict[Path, tuple[int, int]] = {}  # segment -> (bytes read, lines)
        self._lock = threading.Lock()

    def lines(self, partition: str) -> tuple[int, int]:
        """(lines, segments) of one partition, e.g. a dataset id or ``_failed/<id>``."""
        with self._lock:
            found = segments(self.root, partition)
            return sum(self._count(p) for p in found), len(found)

    def _count(self, path: Path) -> int:
        offset, lines = self._seen.get(path, (0, 0))
        try:
            with path.open("rb") as f:
                f.seek(offset)
                while chunk := f.read(_CHUNK):
                    lines += chunk.count(b"\n")
                    offset += len(chunk)
        except FileNotFoundError:
            return 0
        self._seen[path] = (offset, lines)
        return lines


def dataset_report(datasets: list[Dataset], counts: LakeCounts) -> list[dict[str, Any]]:
    report = []
    for dataset in datasets:
        accepted, segment_count = counts.lines(dataset.id)
        failed, _ = counts.lines(failed_partition(dataset.id))
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
    datasets = state.control.datasets()  # on the loop: the connection is not shared
    report = await run_in_threadpool(dataset_report, datasets, state.lake_counts)
    return json_response({"datasets": report})


def routes() -> list[BaseRoute]:
    return [Route("/monitoring/datasets", _datasets, methods=["GET"])]
