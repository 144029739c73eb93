"""Catalog batches: each closed lake segment of a dataset is one batch.

A segment is closed when its writer rotated it (hour, size) or shut down; only then is it
complete, so only then is it listed, as ``status: success`` with the lines it holds as
``recordCount``. Open segments (still being written) are not batches yet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collector.lake import layout, watermark


@dataclass(frozen=True)
class Batch:
    id: str
    dataset_id: str
    segment: Path
    created_ms: int
    completed_ms: int


def batch_id(relative: str) -> str:
    """A stable id from the segment's path in the lake (26 characters, like AEP's)."""
    return hashlib.sha256(relative.encode()).hexdigest()[:26].upper()


def closed_batches(lake: Path, dataset_ids: list[str]) -> list[Batch]:
    """The batches of ``dataset_ids``, newest first."""
    found = []
    for dataset_id in dataset_ids:
        for path in layout.segments(lake, dataset_id):
            if watermark.read(path) is not None:
                continue  # open: its writer still appends to it
            name = layout.parse_segment(path.relative_to(lake))
            if name is None:
                continue
            try:
                completed = int(path.stat().st_mtime * 1000)
            except FileNotFoundError:
                continue
            relative = path.relative_to(lake).as_posix()
            found.append(Batch(batch_id(relative), dataset_id, path, name.open_ms, completed))
    found.sort(key=lambda b: (b.created_ms, b.id), reverse=True)
    return found


def record_count(path: Path) -> int:
    lines = 0
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                lines += chunk.count(b"\n")
    except FileNotFoundError:
        return 0
    return lines


def batch_json(batch: Batch, org_id: str) -> dict[str, Any]:
    records = record_count(batch.segment)
    return {
        "imsOrg": org_id,
        "status": "success",
        "created": batch.created_ms,
        "started": batch.created_ms,
        "updated": batch.completed_ms,
        "completed": batch.completed_ms,
        "version": "1.0.0",
        "createdClient": "xdm-collector",
        "relatedObjects": [{"type": "dataSet", "id": batch.dataset_id}],
        "recordCount": records,
        "metrics": {
            "recordsRead": records,
            "recordsWritten": records,
            "startTime": batch.created_ms,
            "endTime": batch.completed_ms,
        },
        "inputFormat": {"format": "json"},
        "tags": {},
    }
