"""The durable watermark of an open segment: how many of its bytes were acknowledged.

A writer appends a group of lines, syncs them, and only then acknowledges them. Between the
``write`` and the acknowledgement the bytes are in the file but may still be cut off again
(a short write followed by ENOSPC/EIO, a failed ``fdatasync``). Readers must never see them,
or a projector applies lines nobody acknowledged and stores a checkpoint past a cut.

So while a writer holds a segment open, a small hidden file next to it
(``layout.watermark_path``) holds the length up to which the segment is acknowledged. The
writer creates it (at 0) *before* the segment, rewrites it after each synced group and
before it acknowledges that group, and removes it only when it closes the segment with
nothing unacknowledged in it. Readers therefore use:

- a watermark file present: read at most up to its value;
- no watermark file: the segment is closed, durable to its end (its last whole line).

A segment whose writer died keeps its watermark file; recovery (``segments.recover``) cuts
such a segment back to the watermark (the rest was never acknowledged) and removes the file.

The value is written in place with one ``pwrite`` as ``<20 digits> <crc32 hex>\\n``; a reader
that catches a half-written value sees a bad checksum and reads again.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from collector.lake.layout import watermark_path

_WIDTH = 30  # 20 digits, a space, 8 hex digits, a newline


def encode(offset: int) -> bytes:
    digits = f"{offset:020d}".encode()
    return digits + f" {zlib.crc32(digits):08x}\n".encode()


def decode(data: bytes) -> int | None:
    if len(data) != _WIDTH or data[20:21] != b" " or not data.endswith(b"\n"):
        return None
    digits = data[:20]
    try:
        if int(data[21:29], 16) != zlib.crc32(digits):
            return None
        return int(digits)
    except ValueError:
        return None


class Watermark:
    """The writer's side: create, advance, and remove one segment's watermark file."""

    def __init__(self, segment: Path, offset: int = 0) -> None:
        self.path = watermark_path(segment)
        self.offset = offset
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        os.pwrite(self._fd, encode(offset), 0)

    def advance(self, offset: int) -> None:
        """Publish ``offset`` (bytes up to it are synced and about to be acknowledged)."""
        os.pwrite(self._fd, encode(offset), 0)
        self.offset = offset

    def close(self, *, remove: bool) -> None:
        """Close the file; ``remove`` once the segment is closed and durable to its end."""
        os.close(self._fd)
        if remove:
            self.path.unlink(missing_ok=True)


def read(segment: Path) -> int | None:
    """The acknowledged length of ``segment``, or ``None`` when it is closed (no watermark)."""
    try:
        fd = os.open(watermark_path(segment), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        for _ in range(100):
            value = decode(os.pread(fd, _WIDTH, 0))
            if value is not None:
                return value
        return 0  # never a consistent value: read nothing past the start for now
    finally:
        os.close(fd)
