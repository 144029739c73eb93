"""Tailing the lake segments of some datasets: acknowledged whole lines, from remembered offsets.

A segment may still be growing: only bytes up to its durable watermark
(``collector.lake.watermark``: what the writer has acknowledged; a closed segment is durable
to its end) and, within those, up to the last ``\\n`` are handed out; the rest is read again
on a later call. Offsets are byte positions just after a line, relative to the segment; the
caller stores them (with the data, in one transaction) and passes them back.

Finished hours are remembered so that an idle poll costs the same with ten segments or a
year of them. An hour is finished once it ended more than ``grace_ms`` ago (writers file a
line under the hour it was received in) and every segment in it is closed and read to its
end; its directory is then never listed and its segments never ``stat``-ed again. A date
directory whose hours are all finished is not looked at again either. Each poll, per
dataset, ``stat``s the dataset directory and the unfinished date directories (a new
``date=``/``hour=`` directory changes their mtime, which triggers one listing), lists the
unfinished hour directories and looks at their segments. After a restart the first poll
walks everything once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from collector.lake import layout, watermark

_MAX_LINE = 16 << 20  # a longer line is never a valid message: it is skipped
_MAX_READ = 64 << 20  # at most this much of one segment per batch (20,000 lines of ~2 KB fit)
_MIN_READ = 64 << 10
GRACE_MS = 10 * 60_000  # a line may still be filed under an hour this long after its end


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


@dataclass
class _Hour:
    path: Path
    hour: int  # hours since the epoch
    final: bool = False  # listed after it ended: no new segment can appear in it
    segments: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)  # closed and read to the end


@dataclass
class _Date:
    path: Path
    first_hour: int
    final: bool = False  # listed after the day ended: no new hour can appear in it
    hours: dict[str, _Hour] = field(default_factory=dict)  # unfinished, by directory name
    finished: set[str] = field(default_factory=set)


@dataclass
class _Dataset:
    path: Path
    mtime_ns: int = -1  # of the directory when it was listed (-1: list it at the next poll)
    dates: dict[str, _Date] = field(default_factory=dict)  # unfinished, by directory name
    finished: set[str] = field(default_factory=set)


class LakeTail:
    def __init__(
        self,
        lake_dir: Path,
        offsets: dict[str, int],
        *,
        wall_ms: Callable[[], int] | None = None,
        grace_ms: int = GRACE_MS,
    ) -> None:
        self.lake_dir = lake_dir
        self.offsets = dict(offsets)
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._grace_ms = grace_ms
        self._datasets: dict[str, _Dataset] = {}
        self._active: dict[str, tuple[str, _Hour]] = {}  # segment -> (dataset id, its hour)
        self._line_bytes = 2048.0  # running estimate, to read about as much as the budget needs

    def read(self, datasets: Iterable[str], max_lines: int) -> list[Chunk]:
        """Up to ``max_lines`` whole lines past the remembered offsets, in segment order."""
        wanted = set(datasets)
        for dataset_id in [d for d in self._datasets if d not in wanted]:
            self._forget(dataset_id)
        for dataset_id in sorted(wanted):
            self._discover(dataset_id)
        chunks: list[Chunk] = []
        budget = max_lines
        idle: list[str] = []
        for segment in sorted(self._active):
            if budget <= 0:
                break
            chunk, closed_and_read = self._read_segment(segment, budget)
            if chunk is not None:
                chunks.append(chunk)
                budget -= len(chunk.lines)
            elif closed_and_read:
                idle.append(segment)
        self._finish_hours(idle)
        return chunks

    def advance(self, chunks: Iterable[Chunk]) -> None:
        """Remember that ``chunks`` were applied (after their transaction committed)."""
        for chunk in chunks:
            self.offsets[chunk.segment] = chunk.end

    @property
    def polled_segments(self) -> int:
        """Segments looked at by each poll (those of unfinished hours)."""
        return len(self._active)

    # -- discovery ---------------------------------------------------------------------

    def _discover(self, dataset_id: str) -> None:
        ds = self._datasets.get(dataset_id)
        if ds is None:
            ds = self._datasets[dataset_id] = _Dataset(self.lake_dir / dataset_id)
        mtime = _mtime(ds.path)
        if mtime != ds.mtime_ns:  # a new date directory (or the first look)
            for name in _names(ds.path):
                first = layout.parse_date_dir(name)
                if first is not None and name not in ds.dates and name not in ds.finished:
                    ds.dates[name] = _Date(ds.path / name, first)
            # An mtime within the last seconds may not show a change made in the same tick.
            ds.mtime_ns = mtime if mtime < time.time_ns() - 2_000_000_000 else -1
        for name, date in list(ds.dates.items()):
            self._discover_hours(dataset_id, date)
            if date.final and not date.hours:
                del ds.dates[name]  # every hour of the day is finished
                ds.finished.add(name)

    def _discover_hours(self, dataset_id: str, date: _Date) -> None:
        if not date.final:
            final = self._ended(date.first_hour + 24)  # decided before the listing
            for name in _names(date.path):
                of_day = layout.parse_hour_dir(name)
                if of_day is not None and name not in date.hours and name not in date.finished:
                    date.hours[name] = _Hour(date.path / name, date.first_hour + of_day)
            date.final = final
        for name, hour in list(date.hours.items()):
            if not hour.final:
                final = self._ended(hour.hour + 1)
                for entry in _names(hour.path):
                    if layout.is_segment_file(entry):
                        segment = (hour.path / entry).relative_to(self.lake_dir).as_posix()
                        if segment not in hour.segments:
                            hour.segments.add(segment)
                            self._active[segment] = (dataset_id, hour)
                hour.final = final
            elif hour.done >= hour.segments:  # ended, closed and read: never looked at again
                for segment in hour.segments:
                    del self._active[segment]
                del date.hours[name]
                date.finished.add(name)

    def _finish_hours(self, idle: list[str]) -> None:
        """Mark closed segments read to their end (their hour retires at the next poll)."""
        for segment in idle:
            self._active[segment][1].done.add(segment)

    def _forget(self, dataset_id: str) -> None:
        del self._datasets[dataset_id]
        for segment in [s for s, (d, _) in self._active.items() if d == dataset_id]:
            del self._active[segment]

    def _ended(self, end_hour: int) -> bool:
        return end_hour * layout.HOUR_MS + self._grace_ms <= self._wall_ms()

    # -- reading -----------------------------------------------------------------------

    def _read_segment(self, segment: str, budget: int) -> tuple[Chunk | None, bool]:
        """The next whole lines of a segment, and whether it is closed and read to its end."""
        path = self.lake_dir / segment
        start = self.offsets.get(segment, 0)
        acked = watermark.read(path)  # before the size: a closed segment no longer grows
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return None, acked is None
        limit = size if acked is None else min(size, acked)
        if limit <= start:
            return None, acked is None and start >= size
        wanted = max(_MIN_READ, int(budget * self._line_bytes * 1.25))
        available = min(limit - start, _MAX_READ)
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = os.pread(fd, min(available, wanted), start)
            last = data.rfind(b"\n")
            longest = min(available, _MAX_LINE)
            if last == -1 and len(data) < longest:  # a line longer than the estimate
                data += os.pread(fd, longest - len(data), start + len(data))
                last = data.rfind(b"\n")
        finally:
            os.close(fd)
        dataset_id = self._active[segment][0]
        if last == -1:
            if len(data) >= _MAX_LINE:  # a line longer than 16 MB: never a valid message
                return Chunk(segment, dataset_id, start, start + len(data), []), False
            # Only a torn last line is left: a closed segment has nothing more to give.
            return None, acked is None
        lines, consumed = _split(data, last, budget)
        self._line_bytes = 0.8 * self._line_bytes + 0.2 * (consumed / len(lines))
        return Chunk(segment, dataset_id, start, start + consumed, lines), False


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


def _mtime(directory: Path) -> int:
    try:
        return os.stat(directory).st_mtime_ns
    except (FileNotFoundError, NotADirectoryError):
        return -1


def _names(directory: Path) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return sorted(e.name for e in entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
