"""Lake lines from either form: JSON-lines segments, or their hour's Parquet file.

A closed hour may be compacted (``collector lake compact``, ``compaction.py``) into
``compacted.parquet`` beside its segments, and with ``--replace`` its segments are then
removed. Readers name lines as they always did (segment, byte offset after the line); this
module finds them in whichever form holds them: the segment file while it exists (it is the
one an erasure rewrites first), else the rows of its hour's Parquet file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from collector.lake import layout, parquet
from collector.lake.segments import read_lines


def segment_lines(lake_dir: Path, segment: str, offset: int = 0) -> Iterator[tuple[int, bytes]]:
    """``(offset after the line, line)`` of a segment's whole lines past ``offset``."""
    path = lake_dir / segment
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        yield from compacted_lines(lake_dir, segment, offset)
        return
    handle.close()
    yield from read_lines(path, offset)


def compacted_lines(lake_dir: Path, segment: str, offset: int = 0) -> list[tuple[int, bytes]]:
    """A segment's lines past ``offset`` from its hour's Parquet file (``[]`` without one)."""
    path = parquet.compacted_path((lake_dir / segment).parent)
    try:
        rows_and_end = parquet.segments(path).get(segment)
    except FileNotFoundError:
        return []
    if rows_and_end is None or rows_and_end[1] <= offset:
        return []  # read to its end already: nothing to decode
    found = compacted_segment(lake_dir, segment)
    return [(end, line) for end, line in found if end > offset] if found else []


def compacted_segment(lake_dir: Path, segment: str) -> list[tuple[int, bytes]] | None:
    """Every line of ``segment`` held by its hour's Parquet file; ``None`` when none holds it."""
    path = parquet.compacted_path((lake_dir / segment).parent)
    try:
        return parquet.read(path).get(segment)
    except FileNotFoundError:
        return None


def compacted_count(lake_dir: Path, segment: str) -> tuple[int, int] | None:
    """``(lines, end of the last)`` of a segment in its hour's Parquet file, from its footer;
    ``None`` when no Parquet file holds it."""
    try:
        return parquet.segments(parquet.compacted_path((lake_dir / segment).parent)).get(segment)
    except FileNotFoundError:
        return None


def hour_segments(lake_dir: Path, hour_dir: Path) -> list[str]:
    """The segments of an hour directory (relative to the lake), in either form, sorted."""
    names = {
        (hour_dir / name).relative_to(lake_dir).as_posix()
        for name in _names(hour_dir)
        if layout.is_segment_file(name)
    }
    with contextlib.suppress(FileNotFoundError):
        names.update(parquet.segments(parquet.compacted_path(hour_dir)))
    return sorted(names)


def partition_lines(lake_dir: Path, partition: str) -> Iterator[tuple[str, int, bytes]]:
    """``(segment, offset after the line, line)`` of every line of a partition, in lake order."""
    hours = sorted(
        {path.parent for path in layout.segments(lake_dir, partition)}
        | set(path.parent for path in (lake_dir / partition).glob(f"*/*/{parquet.COMPACTED}"))
    )
    for hour_dir in hours:
        for segment in hour_segments(lake_dir, hour_dir):
            for end, line in segment_lines(lake_dir, segment):
                yield segment, end, line


def _names(directory: Path) -> list[str]:
    try:
        return sorted(p.name for p in directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
