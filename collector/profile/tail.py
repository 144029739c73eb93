"""Tailing the lake segments of some datasets: whole lines only, from remembered offsets.

A segment may still be growing: only bytes up to its last ``\\n`` are handed out, the rest is
read again on a later call. Offsets are byte positions just after a line, relative to the
segment; the caller stores them (with the data, in one transaction) and passes them back.

Listing every ``date=/hour=`` directory at each poll would cost more than the data as the lake
grows, so a full listing runs every ``rescan_seconds``; in between only the newest hour
directory of each dataset is listed and the known, unfinished segments are ``stat``-ed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

_MAX_LINE = 16 << 20  # a longer line is never a valid message: it is skipped
_MAX_READ = 64 << 20  # at most this much of one segment per batch (20,000 lines of ~2 KB fit)
_MIN_READ = 64 << 10


@dataclass(frozen=True, slots=True)
class Chunk:
    """Whole lines of one segment: ``lines`` start at ``start`` and end at ``end``."""

    segment: str  # path relative to the lake directory
    dataset_id: str
    start: int
    end: int
    lines: list[memoryview]  # without their newlines (views of one read buffer)

    def offset_after(self, index: int) -> int:
        """The byte offset just after line ``index`` (for messages about a bad line)."""
        return self.start + sum(len(line) + 1 for line in self.lines[: index + 1])


class LakeTail:
    def __init__(
        self,
        lake_dir: Path,
        offsets: dict[str, int],
        *,
        rescan_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lake_dir = lake_dir
        self.offsets = dict(offsets)
        self._known: dict[str, str] = {}  # segment -> dataset id
        self._rescan_seconds = rescan_seconds
        self._clock = clock
        self._scanned_at = float("-inf")
        self._datasets: tuple[str, ...] = ()
        self._line_bytes = 2048.0  # running estimate, to read about as much as the budget needs
        self._active: set[str] = set()  # segments that may still grow or have unread lines
        self._newest: set[str] = set()  # segments of the newest hour of each dataset

    def read(self, datasets: Iterable[str], max_lines: int) -> list[Chunk]:
        """Up to ``max_lines`` whole lines past the remembered offsets, in segment order."""
        self._discover(tuple(sorted(datasets)))
        chunks: list[Chunk] = []
        budget = max_lines
        for segment in sorted(self._active):
            if budget <= 0:
                break
            chunk = self._read_segment(segment, budget)
            if chunk is not None:
                chunks.append(chunk)
                budget -= len(chunk.lines)
            elif segment not in self._newest:
                self._active.discard(segment)  # looked at again at the next full scan
        return chunks

    def advance(self, chunks: Iterable[Chunk]) -> None:
        """Remember that ``chunks`` were applied (after their transaction committed)."""
        for chunk in chunks:
            self.offsets[chunk.segment] = chunk.end

    def _discover(self, datasets: tuple[str, ...]) -> None:
        now = self._clock()
        full = datasets != self._datasets or now - self._scanned_at >= self._rescan_seconds
        if full:
            self._datasets = datasets
            self._scanned_at = now
            self._known = {}
        self._newest = set()
        for dataset_id in datasets:
            root = self.lake_dir / dataset_id
            for path, newest in _segments(root, newest_only=not full):
                segment = path.relative_to(self.lake_dir).as_posix()
                self._known[segment] = dataset_id
                if newest:
                    self._newest.add(segment)
        if full:
            self._active = set(self._known)
        else:
            self._active |= self._newest

    def _read_segment(self, segment: str, budget: int) -> Chunk | None:
        path = self.lake_dir / segment
        start = self.offsets.get(segment, 0)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        if size <= start:
            return None
        wanted = max(_MIN_READ, int(budget * self._line_bytes * 1.25))
        available = min(size - start, _MAX_READ)
        with path.open("rb") as f:
            f.seek(start)
            data = f.read(min(available, wanted))
            last = data.rfind(b"\n")
            longest = min(available, _MAX_LINE)
            if last == -1 and len(data) < longest:  # a line longer than the estimate
                data += f.read(longest - len(data))
                last = data.rfind(b"\n")
        if last == -1:
            if len(data) >= _MAX_LINE:  # a line longer than 16 MB: never a valid message
                return Chunk(segment, self._known[segment], start, start + len(data), [])
            return None
        lines, consumed = _split(data, last, budget)
        self._line_bytes = 0.8 * self._line_bytes + 0.2 * (consumed / len(lines))
        return Chunk(segment, self._known[segment], start, start + consumed, lines)


def _split(data: bytes, last: int, budget: int) -> tuple[list[memoryview], int]:
    """Up to ``budget`` lines of ``data[: last + 1]`` as views (no copies), and their length."""
    view = memoryview(data)
    find = data.find
    lines: list[memoryview] = []
    position = 0
    while position <= last and len(lines) < budget:
        newline = find(b"\n", position)
        lines.append(view[position:newline])
        position = newline + 1
    return lines, position


def _segments(root: Path, *, newest_only: bool) -> list[tuple[Path, bool]]:
    """Segments under a dataset directory, each with whether it is in the newest hour."""
    dates = _children(root, "date=")
    if newest_only:
        dates = dates[-1:]
    found: list[tuple[Path, bool]] = []
    for d, date in enumerate(dates):
        hours = _children(date, "hour=")
        if newest_only:
            hours = hours[-1:]
        for h, hour in enumerate(hours):
            newest = d == len(dates) - 1 and h == len(hours) - 1
            found.extend(
                (Path(e.path), newest)
                for e in os.scandir(hour)
                if e.name.startswith("part-") and e.name.endswith(".jsonl")
            )
    return found


def _children(directory: Path, prefix: str) -> list[Path]:
    try:
        entries = [Path(e.path) for e in os.scandir(directory) if e.name.startswith(prefix)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(entries)
