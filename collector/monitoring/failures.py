"""Failed messages: what ``lake/_failed/`` holds, listed, shown and grouped by violation.

A failed record is either a message that failed validation (``reason`` "Message is invalid"
and everit-shaped ``_validationErrors``) or one rejected before routing (its ``reason``,
``status`` and the ``raw`` message). Listings read hour partitions newest first and stop
reading older hours once they have enough; ``--since`` skips the hours before it unread.

``groups`` is what a console page shows: the failures of a dataset grouped by violation, the
leaf violation's pointer (array indices written ``*``) and keyword, or by reason for records
without violations, with counts and up to three sample xactionIds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collector.lake.segments import FAILED_DIR, read_records
from collector.monitoring import lookup
from collector.monitoring.events import iso_ms, leaf_violations, violations_of, xaction_ms

SAMPLES = 3
_HOUR = re.compile(r"^date=(\d{4})-(\d{2})-(\d{2})/hour=(\d{2})$")
_INDEX = re.compile(r"/\d+(?=/|$)")
_HOUR_MS = 3_600_000
_DATASET = re.compile(r"^[A-Za-z0-9_-]{1,128}$")  # a directory name, never a path


class FailureNotFound(LookupError):
    pass


def failed_partitions(lake_dir: Path, dataset_id: str | None = None) -> list[Path]:
    base = lake_dir / FAILED_DIR
    if dataset_id is not None:
        if not _DATASET.match(dataset_id):
            raise ValueError(f"not a dataset id: {dataset_id[:64]!r}")
        return [base / dataset_id]
    try:
        return sorted(Path(e.path) for e in os.scandir(base) if e.is_dir())
    except FileNotFoundError:
        return []


def _hours(partition: Path) -> list[tuple[int, Path]]:
    """``(hour index, directory)`` of a partition's hour directories, newest first."""
    found = []
    try:
        days = [e for e in os.scandir(partition) if e.is_dir() and e.name.startswith("date=")]
    except FileNotFoundError:
        return []
    for day in days:
        for hour in os.scandir(day.path):
            match = _HOUR.match(f"{day.name}/{hour.name}")
            if match and hour.is_dir():
                y, m, d, h = (int(g) for g in match.groups())
                found.append((_hour_index(y, m, d, h), Path(hour.path)))
    return sorted(found, reverse=True)


def _hour_index(year: int, month: int, day: int, hour: int) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp()) // 3600


def records(
    lake_dir: Path, dataset_id: str | None = None, *, since_ms: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Failed records one hour at a time, newest hour first, newest first within it."""
    by_hour: dict[int, list[Path]] = {}
    for partition in failed_partitions(lake_dir, dataset_id):
        for hour, directory in _hours(partition):
            if since_ms is None or hour >= since_ms // _HOUR_MS:
                by_hour.setdefault(hour, []).append(directory)
    for hour in sorted(by_hour, reverse=True):
        found = [
            r
            for directory in by_hour[hour]
            for path in sorted(directory.glob("part-*.jsonl"))
            for r in read_records(path)
            if since_ms is None or _received(r) >= since_ms
        ]
        found.sort(key=lambda r: (_received(r), str(r.get("xactionId"))), reverse=True)
        yield found


def listing(
    lake_dir: Path,
    dataset_id: str | None = None,
    *,
    since_ms: int | None = None,
    reason: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """One summary per failed record, newest first: time, xactionId, dataset, reason, first
    violation."""
    rows: list[dict[str, Any]] = []
    wanted = reason.lower() if reason else None
    for hour in records(lake_dir, dataset_id, since_ms=since_ms):
        for record in hour:
            if wanted is not None and wanted not in str(record.get("reason", "")).lower():
                continue
            rows.append(summary(record))
            if len(rows) >= limit:
                return rows
    return rows


def summary(record: dict[str, Any]) -> dict[str, Any]:
    leaves = leaf_violations(violations_of(record))
    first = None
    if leaves:
        first = f"{leaves[0].get('pointerToViolation')}: {leaves[0].get('message')}"
    return {
        "time": iso_ms(_received(record)),
        "xactionId": record.get("xactionId"),
        "datasetId": record.get("datasetId"),
        "reason": record.get("reason"),
        "violation": first,
        "violations": len(leaves),
    }


def show(lake_dir: Path, xaction_id: str) -> dict[str, Any]:
    """The whole stored failed record of a transaction (read from its hour only)."""
    partitions = [(p, False) for p in failed_partitions(lake_dir)]
    event = lookup.by_xaction(partitions, xaction_id, None) if partitions else None
    if event is None or xaction_ms(xaction_id) is None:
        raise FailureNotFound(f"no failed record with xactionId {xaction_id}")
    return event.record()


@dataclass
class Group:
    dataset_id: str
    pointer: str | None
    keyword: str | None
    reason: str | None
    message: str | None
    count: int = 0
    samples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "datasetId": self.dataset_id,
            "pointer": self.pointer,
            "keyword": self.keyword,
            "reason": self.reason,
            "message": self.message,
            "count": self.count,
            "sampleXactionIds": self.samples,
        }


def groups(
    lake_dir: Path, dataset_id: str | None = None, *, since_ms: int | None = None
) -> list[Group]:
    """Failures grouped by (dataset, pointer, keyword), or by reason; largest group first.

    A record counts once per group even when it breaks the same rule at several indices.
    Samples are the newest xactionIds.
    """
    found: dict[tuple[str, str | None, str | None, str | None], Group] = {}
    for hour in records(lake_dir, dataset_id, since_ms=since_ms):
        for record in hour:
            dataset = str(record.get("datasetId", ""))
            xaction_id = str(record.get("xactionId", ""))
            keys: dict[tuple[str, str | None, str | None, str | None], str | None] = {}
            for leaf in leaf_violations(violations_of(record)):
                pointer = _INDEX.sub("/*", str(leaf.get("pointerToViolation", "#")))
                keyword = str(leaf.get("keyword", "")) or None
                keys.setdefault((dataset, pointer, keyword, None), _text(leaf.get("message")))
            if not keys:
                reason = _text(record.get("reason")) or "unknown"
                keys[(dataset, None, None, reason)] = reason
            for key, message in keys.items():
                group = found.get(key)
                if group is None:
                    group = found[key] = Group(*key, message=message)
                group.count += 1
                if len(group.samples) < SAMPLES:
                    group.samples.append(xaction_id)
    return sorted(
        found.values(), key=lambda g: (-g.count, g.dataset_id, g.pointer or "", g.reason or "")
    )


def _received(record: dict[str, Any]) -> int:
    value = record.get("receivedTimeMs")
    return value if isinstance(value, int) else 0


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
