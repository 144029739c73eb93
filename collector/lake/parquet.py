"""The Parquet form of a closed lake hour: ``<hour dir>/compacted.parquet``.

One row per lake line, in lake order (segment, then position), zstd-compressed:

    segment         the JSON-lines segment the line was written to (relative to the lake)
    end             the byte offset just after the line in that segment
    xactionId       the line's ``xactionId``, ``receivedTimeMs`` and ``orgId``, typed,
    receivedTimeMs  for engines that filter without parsing JSON
    orgId
    line            the line as written (JSON text, byte for byte)

``segment`` and ``end`` keep the JSON form's positions, so a reader that remembers how far it
read a segment (the projector, monitoring) reads the Parquet form from the same place, and a
replay over either form applies the same lines in the same order. The footer lists the
segments with their row counts and last offsets (``segments``), so listing an hour or
checking whether a reader is done with it decodes no row. The file is written to a
hidden temporary name, fsynced, its row count checked, then renamed (and the directory
fsynced): a reader sees no file or a whole one. ``pyarrow`` is imported only here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

COMPACTED = "compacted.parquet"
_TEMPORARY = f".{COMPACTED}.tmp"
_SEGMENTS_KEY = b"collector.segments"  # footer metadata: {segment: [rows, last end]}


@dataclass(frozen=True, slots=True)
class Row:
    segment: str
    end: int
    line: bytes


class CompactionError(RuntimeError):
    """The written file does not hold the rows it was given."""


def compacted_path(hour_dir: Path) -> Path:
    return hour_dir / COMPACTED


def write(hour_dir: Path, rows: Sequence[Row]) -> Path:
    """Write ``rows`` as ``hour_dir/compacted.parquet``, atomically; returns its path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields: dict[str, list[Any]] = {"xactionId": [], "receivedTimeMs": [], "orgId": []}
    for row in rows:
        try:
            doc = orjson.loads(row.line)
        except orjson.JSONDecodeError:
            doc = None
        doc = doc if isinstance(doc, dict) else {}
        for name, kind in (("xactionId", str), ("receivedTimeMs", int), ("orgId", str)):
            value = doc.get(name)
            fields[name].append(value if type(value) is kind else None)
    table = pa.table(
        {
            "segment": pa.array([r.segment for r in rows], pa.string()),
            "end": pa.array([r.end for r in rows], pa.int64()),
            "xactionId": pa.array(fields["xactionId"], pa.string()),
            "receivedTimeMs": pa.array(fields["receivedTimeMs"], pa.int64()),
            "orgId": pa.array(fields["orgId"], pa.string()),
            "line": pa.array([r.line.decode() for r in rows], pa.string()),
        }
    )
    held: dict[str, list[int]] = {}  # segment -> [rows, end of its last line]
    for row in rows:
        entry = held.setdefault(row.segment, [0, 0])
        entry[0] += 1
        entry[1] = row.end
    table = table.replace_schema_metadata({_SEGMENTS_KEY: orjson.dumps(held)})
    temporary = hour_dir / _TEMPORARY
    target = compacted_path(hour_dir)
    pq.write_table(table, temporary, compression="zstd")
    fd = os.open(temporary, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    written = pq.read_metadata(temporary).num_rows
    if written != len(rows):
        temporary.unlink(missing_ok=True)
        raise CompactionError(f"{target}: wrote {written} rows, not {len(rows)}")
    os.replace(temporary, target)
    fsync_dir(hour_dir)
    return target


def segments(path: Path) -> dict[str, tuple[int, int]]:
    """``segment -> (rows, end of its last line)`` of a compacted hour, from the file's footer
    (cheap: no row is decoded)."""
    stat = os.stat(path)
    return _segments(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _segments(path: str, _mtime_ns: int, _size: int) -> dict[str, tuple[int, int]]:
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    held = orjson.loads(metadata.get(_SEGMENTS_KEY, b"{}"))
    return {segment: (int(rows), int(end)) for segment, (rows, end) in held.items()}


def read(path: Path) -> dict[str, list[tuple[int, bytes]]]:
    """Every row of a compacted hour, grouped by segment: ``segment -> [(end, line)]``."""
    stat = os.stat(path)
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


def rows(path: Path) -> Iterator[Row]:
    """The rows of a compacted hour in lake order."""
    for segment, lines in sorted(read(path).items()):
        for end, line in lines:
            yield Row(segment, end, line)


@lru_cache(maxsize=2)  # a reader goes through one hour's segments in turn
def _read(path: str, _mtime_ns: int, _size: int) -> dict[str, list[tuple[int, bytes]]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["segment", "end", "line"])
    grouped: dict[str, list[tuple[int, bytes]]] = {}
    for segment, end, line in zip(
        table.column("segment").to_pylist(),
        table.column("end").to_pylist(),
        table.column("line").to_pylist(),
        strict=True,
    ):
        grouped.setdefault(segment, []).append((end, line.encode()))
    return grouped


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
