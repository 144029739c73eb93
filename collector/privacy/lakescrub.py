"""Removing a person's lines from the lake: segments, compacted hours, failed records and
torn tails.

A line is the person's when it belongs to the job's org (its ``orgId``), was received at or
before the erasure (``receivedTimeMs``), and carries one of the values of their identity graph
anywhere in it (each value as JSON writes it: the lake writer serialises every line with
orjson). Failed records (``lake/_failed/``) are segments like the others. A torn tail
(``lake/_torn/``) was never acknowledged: a file that carries one of the values is deleted.

A segment is rewritten only when it is safe:

- no writer holds it (writers keep their open segments under an exclusive ``flock``; the job
  takes that lock itself, so a crashed writer's segment is fine). A held segment is skipped for
  now and the writers are asked to rotate (``collector/lake/rotation.py``); the job tries again;
- the projector has read every whole line of it, when its dataset feeds the profile store, so
  its checkpoint can be set to the new size (``Progress.rewritten``).

The rewrite writes the kept lines (byte for byte) to a new file next to the segment, fsyncs
it, renames it over the segment and fsyncs the directory: a reader sees the old file or the
new one, never a lake without another person's acknowledged lines. A segment is first
searched in 8 MB blocks; only one that holds a value is read whole (up to
``COLLECTOR_SEGMENT_MAX_BYTES``) and rewritten in memory.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from collector.lake import parquet
from collector.lake.segments import TORN_DIR, segments

_SCAN = 8 << 20


@dataclass
class Progress:
    lines: int = 0  # lines removed
    segments: int = 0  # segments rewritten
    torn: int = 0  # torn tails deleted
    held: list[str] = field(default_factory=list)  # segments a writer still holds
    unread: list[str] = field(default_factory=list)  # segments the projector has not read yet
    rewritten: dict[str, int] = field(default_factory=dict)  # segment -> new whole-line size


def needles(values: Iterable[str]) -> list[bytes]:
    """The identity values as they appear inside a lake line."""
    return sorted({orjson.dumps(v)[1:-1] for v in values if v})


def scrub(
    lake_dir: Path,
    org: str,
    values: list[bytes],
    cutoff_ms: int,
    *,
    read_offsets: Mapping[str, int],
    tailed: Callable[[str], bool],
    clean: set[str] | None = None,
) -> Progress:
    """One pass over the lake; ``Progress.held`` / ``unread`` say what is left for later.

    ``read_offsets``: the projector's offset of each segment it reads; ``tailed(segment)``:
    whether the projector reads that segment's dataset. ``clean``: segments an earlier pass
    of the same job found without the person (skipped, and added to): lines appended later
    were received after the job, so they are never the person's to erase."""
    progress = Progress()
    if not values:
        return progress
    clean = set() if clean is None else clean
    for path in segments(lake_dir):
        rel = path.relative_to(lake_dir).as_posix()
        if rel in clean:
            continue
        if not _contains(path, values):
            clean.add(rel)
            continue
        _scrub_segment(path, rel, org, values, cutoff_ms, read_offsets, tailed, progress)
        if rel in progress.rewritten:
            clean.add(rel)
    _scrub_compacted(lake_dir, org, values, cutoff_ms, read_offsets, tailed, progress)
    torn_root = lake_dir / TORN_DIR
    if torn_root.is_dir():
        for path in sorted(torn_root.rglob("*.partial")):
            if _contains(path, values):
                path.unlink()
                _fsync_dir(path.parent)
                progress.torn += 1
    return progress


def _scrub_segment(
    path: Path,
    rel: str,
    org: str,
    values: list[bytes],
    cutoff_ms: int,
    read_offsets: Mapping[str, int],
    tailed: Callable[[str], bool],
    progress: Progress,
) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if _has_lines(path.read_bytes(), org, values, cutoff_ms):
                progress.held.append(rel)
            return
        data = _read_all(fd)
        whole = data.rfind(b"\n") + 1  # bytes after it: a torn tail, left as it is
        kept, removed = _filter(data[:whole], org, values, cutoff_ms)
        if not removed:
            return
        if tailed(rel) and read_offsets.get(rel, 0) < whole:
            progress.unread.append(rel)
            return
        _replace(path, kept + data[whole:])
        progress.lines += removed
        progress.segments += 1
        progress.rewritten[rel] = len(kept)
    finally:
        os.close(fd)  # releases the lock, after the rename


def _scrub_compacted(
    lake_dir: Path,
    org: str,
    values: list[bytes],
    cutoff_ms: int,
    read_offsets: Mapping[str, int],
    tailed: Callable[[str], bool],
    progress: Progress,
) -> None:
    """The person's rows out of every compacted hour (``collector.lake.parquet``). A row of a
    segment whose JSON lines are gone counts as removed here; one whose segment is still
    there was counted with it. Rows keep their positions, so the projector's offsets hold."""
    for path in sorted(lake_dir.glob(f"**/{parquet.COMPACTED}")):
        rel = path.relative_to(lake_dir).as_posix()
        if rel.startswith(f"{TORN_DIR}/"):
            continue
        kept: list[parquet.Row] = []
        removed = 0
        unread: set[str] = set()
        for row in parquet.rows(path):
            if not _is_theirs(row.line, org, values, cutoff_ms):
                kept.append(row)
                continue
            if not (lake_dir / row.segment).exists():
                removed += 1
                if tailed(row.segment) and read_offsets.get(row.segment, 0) < row.end:
                    unread.add(row.segment)
        if unread:
            progress.unread += sorted(unread)
            continue
        if len(kept) < sum(len(lines) for lines in parquet.read(path).values()):
            parquet.write(path.parent, kept)
            progress.lines += removed
            progress.segments += 1


def _filter(data: bytes, org: str, values: list[bytes], cutoff_ms: int) -> tuple[bytes, int]:
    kept = bytearray()
    removed = 0
    for line in data.splitlines(keepends=True):
        if _is_theirs(line, org, values, cutoff_ms):
            removed += 1
        else:
            kept += line
    return bytes(kept), removed


def _has_lines(data: bytes, org: str, values: list[bytes], cutoff_ms: int) -> bool:
    whole = data.rfind(b"\n") + 1
    return any(_is_theirs(line, org, values, cutoff_ms) for line in data[:whole].splitlines())


def _is_theirs(line: bytes, org: str, values: list[bytes], cutoff_ms: int) -> bool:
    if not any(v in line for v in values):
        return False
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return True  # a line that does not parse and names the person: not kept
    if not isinstance(doc, dict):
        return True
    received = doc.get("receivedTimeMs")
    late = isinstance(received, int) and received > cutoff_ms
    return doc.get("orgId") == org and not late


def _contains(path: Path, values: list[bytes]) -> bool:
    overlap = max(len(v) for v in values) - 1
    try:
        with path.open("rb") as f:
            previous = b""
            while block := f.read(_SCAN):
                window = previous + block
                if any(v in window for v in values):
                    return True
                previous = window[-overlap:] if overlap > 0 else b""
    except FileNotFoundError:
        return False
    return False


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    parts = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, min(_SCAN, size - offset), offset)
        if not chunk:
            break
        parts.append(chunk)
        offset += len(chunk)
    return b"".join(parts)


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.scrub")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        written = 0
        while written < len(data):
            written += os.write(fd, view[written:])
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
