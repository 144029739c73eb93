"""Reading lake segments, and repairing the torn tail a crash can leave.

A writer acknowledges only whole, synced lines, so bytes after a segment's last newline were
never acknowledged, and so were bytes past an open segment's watermark (``watermark.py``)
whose writer died. ``recover`` moves such a tail to ``lake/_torn/`` (with a report line in
``lake/_torn/report.jsonl``) and cuts the segment back to its last whole line, so every line
in the lake parses and nothing acknowledged is touched. Segments still held by a live writer
(an exclusive ``flock``) are left alone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from collector.lake import watermark
from collector.lake.layout import FAILED_DIR, TORN_DIR, TORN_REPORT, segments, watermark_path

__all__ = ["FAILED_DIR", "TORN_DIR", "TornTail", "read_lines", "read_records", "recover"]
__all__ += ["segments"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 16


@dataclass(frozen=True)
class TornTail:
    segment: str
    offset: int
    length: int
    saved_as: str


def read_lines(path: Path, offset: int = 0) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset after the line, line)`` for each whole line from ``offset``."""
    with path.open("rb") as f:
        f.seek(offset)
        rest = b""
        position = offset
        while chunk := f.read(_CHUNK):
            data = rest + chunk
            start = 0
            while (end := data.find(b"\n", start)) != -1:
                position += end + 1 - start
                yield position, data[start:end]
                start = end + 1
            rest = data[start:]


def read_records(path: Path) -> Iterator[dict[str, object]]:
    """Parsed lines of one segment; a line that does not parse is logged and skipped."""
    for end, line in read_lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            log.warning("skipping unparseable lake line in %s ending at byte %d", path, end)
            continue
        if isinstance(record, dict):
            yield record


def recover(root: Path) -> list[TornTail]:
    """Cut torn tails off every segment no live writer holds; report what was cut."""
    repaired: list[TornTail] = []
    for path in segments(root):
        tail = _repair(root, path)
        if tail is not None:
            repaired.append(tail)
    if repaired:
        report = root / TORN_DIR / TORN_REPORT
        with report.open("ab") as f:
            for tail in repaired:
                f.write(orjson.dumps({**asdict(tail), "repairedAtMs": int(time.time() * 1000)}))
                f.write(b"\n")
            f.flush()
            os.fsync(f.fileno())
    return repaired


def _repair(root: Path, path: Path) -> TornTail | None:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        acked = watermark.read(path)
        size = os.fstat(fd).st_size
        if acked is None and (size == 0 or os.pread(fd, 1, size - 1) == b"\n"):
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # a live writer owns it: its tail is a line being written
        acked = watermark.read(path)  # now final: its writer is gone
        size = os.fstat(fd).st_size
        keep = min(acked, size) if acked is not None else _last_newline(fd, size)
        torn = os.pread(fd, size - keep, keep)
        if acked is None and (not torn or torn.endswith(b"\n")):
            return None
        if not torn:
            watermark_path(path).unlink(missing_ok=True)
            return None
        rel = path.relative_to(root)
        saved = root / TORN_DIR / rel.parent / f"{rel.name}.{keep}.partial"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_bytes(torn)
        os.ftruncate(fd, keep)
        os.fsync(fd)
        watermark_path(path).unlink(missing_ok=True)  # closed now, durable to its end
        log.warning(
            "lake segment %s had an unacknowledged tail (%d bytes at offset %d): moved to %s",
            rel,
            len(torn),
            keep,
            saved.relative_to(root),
        )
        return TornTail(str(rel), keep, len(torn), str(saved.relative_to(root)))
    finally:
        os.close(fd)


def _last_newline(fd: int, size: int) -> int:
    """Offset just after the last newline of the file (0 when it has none)."""
    end = size
    while end > 0:
        start = max(0, end - _CHUNK)
        block = os.pread(fd, end - start, start)
        i = block.rfind(b"\n")
        if i != -1:
            return start + i + 1
        end = start
    return 0
