"""``collector lake compact``: closed hours written as Parquet beside their JSON lines.

An hour is closed when it is older than ``before`` (by default the current hour) and none of
its segments is open (an open segment has a watermark file, ``watermark.py``) or ends in a
torn line (``segments.recover`` deals with those at start-up). Its lines, segment by segment,
become ``compacted.parquet`` (``parquet.py``: written atomically, its row count checked);
running again rewrites it only when the JSON lines changed (an erasure rewrote a segment).
With ``replace`` the JSON segments are then removed, once the Parquet file is read back and
found to hold every one of their lines; readers find them there (``lines.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from collector.lake import layout, parquet
from collector.lake.lines import hour_segments, segment_lines


@dataclass(frozen=True, slots=True)
class CompactedHour:
    partition: str
    hour: int  # hours since the epoch
    segments: int
    lines: int
    written: bool  # the Parquet file was (re)written by this run
    replaced: int  # JSON segments removed by this run

    def row(self) -> dict[str, object]:
        return {
            "partition": self.partition,
            "date": layout.date_dir_name(self.hour).removeprefix(layout.DATE_PREFIX),
            "hour": self.hour % 24,
            "segments": self.segments,
            "lines": self.lines,
            "written": self.written,
            "replaced": self.replaced,
        }


def partitions(lake_dir: Path, dataset_id: str | None = None) -> list[str]:
    """The partitions to compact: one dataset's accepted lines, or every dataset's. Failed
    records (``_failed/``) stay JSON lines: ``collector failed`` reads them there."""
    if dataset_id is not None:
        return [dataset_id]
    skipped = {layout.TORN_DIR, layout.FAILED_DIR}
    return [n for n in _names(lake_dir) if n not in skipped and (lake_dir / n).is_dir()]


def closed_hours(lake_dir: Path, partition: str, before_hour: int) -> Iterator[tuple[int, Path]]:
    """``(hour, directory)`` of the partition's hours before ``before_hour`` with no open
    segment."""
    base = lake_dir / partition
    for date in _names(base):
        first = layout.parse_date_dir(date)
        if first is None:
            continue
        for name in _names(base / date):
            of_day = layout.parse_hour_dir(name)
            if of_day is None or first + of_day >= before_hour:
                continue
            directory = base / date / name
            if any(n.endswith(layout.WATERMARK_SUFFIX) for n in _names(directory)):
                continue  # a segment still open
            yield first + of_day, directory


def compact(
    lake_dir: Path,
    partition_names: Iterable[str],
    *,
    before_hour: int | None = None,
    replace: bool = False,
) -> list[CompactedHour]:
    """Compact every closed hour of ``partition_names``; one report per hour with lines."""
    if before_hour is None:
        before_hour = layout.hour_of(time.time_ns() // 1_000_000)
    done = []
    for partition in partition_names:
        for hour, directory in closed_hours(lake_dir, partition, before_hour):
            report = compact_hour(lake_dir, partition, hour, directory, replace=replace)
            if report is not None:
                done.append(report)
    return done


def compact_hour(
    lake_dir: Path, partition: str, hour: int, directory: Path, *, replace: bool
) -> CompactedHour | None:
    segments = hour_segments(lake_dir, directory)
    target = parquet.compacted_path(directory)
    if target.exists() and not any((lake_dir / s).exists() for s in segments):
        held = parquet.segments(target)  # replaced earlier: nothing to read or decode
        lines = sum(rows for rows, _ in held.values())
        return CompactedHour(partition, hour, len(held), lines, False, 0)
    rows: list[parquet.Row] = []
    for segment in segments:
        path = lake_dir / segment
        last = 0
        for end, line in segment_lines(lake_dir, segment):
            rows.append(parquet.Row(segment, end, line))
            last = end
        if path.exists() and path.stat().st_size != last:
            return None  # a torn tail: recovery cuts it off first
    if not rows:
        return None
    written = not target.exists() or _grouped(rows) != parquet.read(target)
    if written:
        parquet.write(directory, rows)
    replaced = 0
    if replace:
        if _grouped(rows) != parquet.read(target):
            raise parquet.CompactionError(f"{target} does not hold the lines of its segments")
        for segment in segments:
            path = lake_dir / segment
            if path.exists():
                path.unlink()
                replaced += 1
        if replaced:
            parquet.fsync_dir(directory)
    return CompactedHour(partition, hour, len(segments), len(rows), written, replaced)


def _grouped(rows: list[parquet.Row]) -> dict[str, list[tuple[int, bytes]]]:
    grouped: dict[str, list[tuple[int, bytes]]] = {}
    for row in rows:
        grouped.setdefault(row.segment, []).append((row.end, row.line))
    return grouped


def _names(directory: Path) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
