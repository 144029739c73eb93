"""Tailing the lake segments of some datasets: acknowledged whole lines, from remembered offsets.

A segment may still be growing: only bytes up to its durable watermark
(``collector.lake.watermark``: what the writer has acknowledged; a closed segment is durable
to its end) and, within those, up to the last ``\\n`` are handed out; the rest is read again
on a later call. Offsets are byte positions just after a line, relative to the segment; the
caller stores them (with the data, in one transaction) and passes them back.

Which segments are looked at is ``collector.lake.hours.HourIndex``'s business: finished hours
(ended, every segment closed and read to its end) are never listed or ``stat``-ed again, so
an idle poll costs the same with ten segments or a year of them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from collector.lake import watermark
from collector.lake.hours import GRACE_MS, RESCAN_SECONDS, HourIndex
from collector.lake.lines import compacted_lines

_MAX_LINE = 16 << 20  # a longer line is never a valid message: it is skipped
_MAX_READ = 128 << 20  # at most this much of one segment per batch (50,000 lines of ~2 KB fit)
_MIN_READ = 64 << 10
_REUSED_READ = 1 << 20  # reads at least this large go to the reused buffer (see ``_pread``)


@dataclass(frozen=True, slots=True)
class Chunk:
    """Whole lines of one segment: ``lines`` start at ``start`` and end at ``end``."""

    segment: str  # path relative to the lake directory
    dataset_id: str
    start: int
    end: int
    lines: list[memoryview]  # without their newlines (views of a read buffer: see ``read``)

    def offset_after(self, index: int) -> int:
        """The byte offset just after line ``index`` (for messages about a bad line)."""
        return self.start + sum(len(line) + 1 for line in self.lines[: index + 1])


class LakeTail:
    def __init__(
        self,
        lake_dir: Path,
        offsets: dict[str, int],
        *,
        wall_ms: Callable[[], int] | None = None,
        grace_ms: int = GRACE_MS,
        rescan_seconds: float = RESCAN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lake_dir = lake_dir
        self.offsets = dict(offsets)
        self.index = HourIndex(
            lake_dir,
            wall_ms=wall_ms,
            grace_ms=grace_ms,
            rescan_seconds=rescan_seconds,
            clock=clock,
        )
        self._line_bytes = 2048.0  # running estimate, to read about as much as the budget needs
        self._buffer = bytearray()  # large reads land here, batch after batch
        self._used = 0  # bytes of ``_buffer`` holding lines handed out by the current ``read``

    def read(self, datasets: Iterable[str], max_lines: int) -> list[Chunk]:
        """Up to ``max_lines`` whole lines past the remembered offsets, in segment order.

        The lines are views of a buffer that the next call may overwrite: use them (the
        projector parses them into messages) before reading again. Reading a large batch into
        the same memory each time, rather than into a new 100 MB object, saves the kernel
        mapping and zeroing fresh pages for every batch."""
        self.index.poll(datasets)
        self._used = 0
        chunks: list[Chunk] = []
        budget = max_lines
        for segment in self.index.segments():
            if budget <= 0:
                break
            chunk, closed_and_read = self._read_segment(segment, budget)
            if chunk is not None:
                chunks.append(chunk)
                budget -= len(chunk.lines)
            elif closed_and_read:
                self.index.done(segment)
        if self._used == 0 and self._buffer:  # no large read: caught up, give the memory back
            self._buffer = bytearray()
        return chunks

    def advance(self, chunks: Iterable[Chunk]) -> None:
        """Remember that ``chunks`` were applied (after their transaction committed)."""
        for chunk in chunks:
            self.offsets[chunk.segment] = chunk.end

    @property
    def polled_segments(self) -> int:
        """Segments looked at by each poll (those of unfinished hours)."""
        return len(self.index.active)

    # -- reading -----------------------------------------------------------------------

    def _read_segment(self, segment: str, budget: int) -> tuple[Chunk | None, bool]:
        """The next whole lines of a segment, and whether it is closed and read to its end."""
        path = self.lake_dir / segment
        start = self.offsets.get(segment, 0)
        acked = watermark.read(path)  # before the size: a closed segment no longer grows
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:  # compacted, and its JSON lines replaced: its Parquet rows
            return self._read_compacted(segment, start, budget), acked is None
        limit = size if acked is None else min(size, acked)
        if limit <= start:
            return None, acked is None and start >= size
        wanted = max(_MIN_READ, int(budget * self._line_bytes * 1.25))
        available = min(limit - start, _MAX_READ)
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            data, begin, size = self._pread(fd, min(available, wanted), start)
            last = data.rfind(b"\n", begin, begin + size)
            longest = min(available, _MAX_LINE)
            if last == -1 and size < longest:  # a line longer than the estimate
                data = bytes(data[begin : begin + size])
                data += os.pread(fd, longest - size, start + size)
                begin, size = 0, len(data)
                last = data.rfind(b"\n")
        finally:
            os.close(fd)
        dataset_id = self.index.partition_of(segment)
        if last == -1:
            if size >= _MAX_LINE:  # a line longer than 16 MB: never a valid message
                return Chunk(segment, dataset_id, start, start + size, []), False
            # Only a torn last line is left: a closed segment has nothing more to give.
            return None, acked is None
        lines, consumed = _split(data, begin, last, budget)
        if data is self._buffer:
            self._used = begin + consumed
        self._line_bytes = 0.8 * self._line_bytes + 0.2 * (consumed / len(lines))
        return Chunk(segment, dataset_id, start, start + consumed, lines), False

    def _pread(self, fd: int, size: int, start: int) -> tuple[bytes | bytearray, int, int]:
        """``size`` bytes of ``fd`` from ``start``: (buffer, where they begin in it, how many).

        A large read goes to ``_buffer`` after the lines this ``read`` already handed out;
        when they leave no room, to a new buffer (the old one lives on while views of it do).
        """
        if size < _REUSED_READ:
            data = os.pread(fd, size, start)
            return data, 0, len(data)
        begin = self._used
        if begin + size > len(self._buffer):
            if begin:  # an earlier segment of this batch fills the buffer: a one-off read
                data = os.pread(fd, size, start)
                return data, 0, len(data)
            self._buffer = bytearray(size)
        with memoryview(self._buffer) as view:
            got = os.preadv(fd, [view[begin : begin + size]], start)
        return self._buffer, begin, got

    def _read_compacted(self, segment: str, start: int, budget: int) -> Chunk | None:
        rows = compacted_lines(self.lake_dir, segment, start)[:budget]
        if not rows:
            return None
        lines = [memoryview(line) for _, line in rows]
        return Chunk(segment, self.index.partition_of(segment), start, rows[-1][0], lines)


def _split(
    data: bytes | bytearray, begin: int, last: int, budget: int
) -> tuple[list[memoryview], int]:
    """Up to ``budget`` lines of ``data[begin : last + 1]`` as views (no copies), and their
    length."""
    view = memoryview(data)
    find = data.find
    lines: list[memoryview] = []
    position = begin
    while position <= last and len(lines) < budget:
        newline = find(b"\n", position)
        lines.append(view[position:newline])
        position = newline + 1
    return lines, position - begin
