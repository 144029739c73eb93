"""The lake's folder layout: the one place that builds and parses its paths.

::

    lake/<partition>/date=YYYY-MM-DD/hour=HH/part-<open ms, 13 digits>-<writer>.jsonl
    lake/<partition>/date=YYYY-MM-DD/hour=HH/.part-<...>.jsonl.acked   (watermark, open only)
    lake/_failed/<datasetId>/...      rejected messages of a dataset (same layout below)
    lake/_failed/<datasetId>/_promoted.jsonl   the revalidation ledger (not a segment)
    lake/_torn/...                    torn tails cut off by recovery, and their report

A partition is a dataset id or ``_failed/<datasetId>``. Hours are counted in whole hours since
the epoch (UTC): ``hour_of(ms)``. Sorting segment paths as strings sorts them by hour, then by
the time their writer opened them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HOUR_MS = 3_600_000
FAILED_DIR = "_failed"
TORN_DIR = "_torn"
TORN_REPORT = "report.jsonl"
PROMOTED_LEDGER = "_promoted.jsonl"  # in lake/_failed/<datasetId>/, never a segment
DATE_PREFIX = "date="
HOUR_PREFIX = "hour="
SEGMENT_PREFIX = "part-"
SEGMENT_SUFFIX = ".jsonl"
WATERMARK_SUFFIX = ".acked"

_SEGMENT = re.compile(r"part-(\d{13})-([0-9A-Za-z_]+)\.jsonl")
_DATE = re.compile(r"date=(\d{4})-(\d{2})-(\d{2})")
_HOUR = re.compile(r"hour=(\d{2})")


@dataclass(frozen=True, slots=True)
class SegmentName:
    """What a segment's path says: its partition, hour and who opened it when."""

    partition: str
    hour: int  # hours since the epoch
    open_ms: int
    writer: str

    @property
    def hour_ms(self) -> int:
        return self.hour * HOUR_MS


def hour_of(ms: int) -> int:
    return ms // HOUR_MS


def failed_partition(dataset_id: str) -> str:
    """The partition of a dataset's rejected messages: ``_failed/<datasetId>``."""
    return f"{FAILED_DIR}/{dataset_id}"


def date_dir_name(hour: int) -> str:
    return f"{DATE_PREFIX}{datetime.fromtimestamp(hour * 3600, UTC):%Y-%m-%d}"


def hour_dir_name(hour: int) -> str:
    return f"{HOUR_PREFIX}{hour % 24:02d}"


def hour_dir(root: Path, partition: str, hour: int) -> Path:
    """``root/<partition>/date=YYYY-MM-DD/hour=HH``."""
    return root / partition / date_dir_name(hour) / hour_dir_name(hour)


def segment_file_name(open_ms: int, writer: str) -> str:
    return f"{SEGMENT_PREFIX}{open_ms:013d}-{writer}{SEGMENT_SUFFIX}"


def segment_path(root: Path, partition: str, hour: int, open_ms: int, writer: str) -> Path:
    return hour_dir(root, partition, hour) / segment_file_name(open_ms, writer)


def is_segment_file(name: str) -> bool:
    """A segment's file name (not the ledger, a watermark, or a torn tail)."""
    return name.startswith(SEGMENT_PREFIX) and name.endswith(SEGMENT_SUFFIX)


def watermark_path(segment: Path) -> Path:
    """The hidden file next to an open segment that holds its acknowledged length."""
    return segment.with_name(f".{segment.name}{WATERMARK_SUFFIX}")


def parse_date_dir(name: str) -> int | None:
    """The first hour (since the epoch) of a ``date=YYYY-MM-DD`` directory name."""
    m = _DATE.fullmatch(name)
    if m is None:
        return None
    try:
        day = datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
    except ValueError:
        return None
    return int(day.timestamp()) // 3600


def parse_hour_dir(name: str) -> int | None:
    """The hour of day (0-23) of an ``hour=HH`` directory name."""
    m = _HOUR.fullmatch(name)
    if m is None or int(m[1]) > 23:
        return None
    return int(m[1])


def parse_segment(relative: str | Path) -> SegmentName | None:
    """Parse a segment path relative to the lake directory; ``None`` when it is not one."""
    parts = Path(relative).parts
    if len(parts) < 4:
        return None
    *partition, date, hour, name = parts
    day = parse_date_dir(date)
    hour_of_day = parse_hour_dir(hour)
    m = _SEGMENT.fullmatch(name)
    if day is None or hour_of_day is None or m is None or not partition:
        return None
    if partition[0] == TORN_DIR:
        return None
    return SegmentName("/".join(partition), day + hour_of_day, int(m[1]), m[2])


def partition_dir(root: Path, partition: str) -> Path:
    return root / partition


def segments(root: Path, partition: str | None = None) -> list[Path]:
    """Every segment under ``root`` (or one partition), sorted by hour then opening time.

    ``partition`` is a dataset id, ``_failed/<datasetId>``, or ``_failed`` for every
    dataset's failed records.

    Walks the ``date=``/``hour=`` directories only (no recursive glob): torn tails, the
    ledger and watermarks are never returned.
    """
    found: list[Path] = []
    if partition is None:
        for name in _names(root):
            if name == TORN_DIR:
                continue
            found += segments(root, name)
        return found
    if partition == FAILED_DIR:
        for dataset_id in _names(root / FAILED_DIR):
            found += segments(root, failed_partition(dataset_id))
        return found
    base = partition_dir(root, partition)
    for date in _names(base):
        if parse_date_dir(date) is None:
            continue
        for hour in _names(base / date):
            if parse_hour_dir(hour) is None:
                continue
            directory = base / date / hour
            found += [directory / n for n in _names(directory) if is_segment_file(n)]
    return found


def _names(directory: Path) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
