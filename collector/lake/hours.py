"""Which lake segments may still change: finished hours are remembered, not re-listed.

An hour is finished once it ended more than ``grace_ms`` ago (writers file a line under the
hour it was received in, so a late line can still land in the hour just past) and every
segment in it is closed (``watermark.py``: no watermark file) and consumed to its end by the
index's user (``done``). Its directory is then never listed and its segments are dropped
from ``active``; a date directory whose hours are all finished is not looked at again either.

Each ``poll``, per partition, ``stat``s the partition directory (a new ``date=`` directory
changes its mtime, which triggers one listing), lists the date and hour directories that
have not been listed since they ended, and keeps their segments in ``active``. The first
poll after a start walks everything once, and so does one poll every ``rescan_seconds``
(15 minutes): a line filed under an hour that ended more than ``grace_ms`` before it was
written is found then.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from collector.lake import layout
from collector.lake.lines import hour_segments

GRACE_MS = 10 * 60_000
RESCAN_SECONDS = 900.0


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
class _Partition:
    path: Path
    mtime_ns: int = -1  # of the directory when it was listed (-1: list it at the next poll)
    dates: dict[str, _Date] = field(default_factory=dict)  # unfinished, by directory name
    finished: set[str] = field(default_factory=set)


class HourIndex:
    """The segments of the unfinished hours of some partitions (``active``)."""

    def __init__(
        self,
        lake_dir: Path,
        *,
        wall_ms: Callable[[], int] | None = None,
        grace_ms: int = GRACE_MS,
        on_retire: Callable[[str, set[str]], None] | None = None,
        rescan_seconds: float = RESCAN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lake_dir = lake_dir
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._grace_ms = grace_ms
        self._on_retire = on_retire
        self._rescan_seconds = rescan_seconds
        self._clock = clock
        self._walked_at = clock()
        self._datasets: dict[str, _Partition] = {}
        self._active: dict[str, tuple[str, _Hour]] = {}  # segment -> (partition, its hour)

    @property
    def active(self) -> dict[str, str]:
        """Segment (relative to the lake directory) -> partition, for unfinished hours."""
        return {segment: partition for segment, (partition, _) in self._active.items()}

    def partition_of(self, segment: str) -> str:
        return self._active[segment][0]

    def segments(self) -> list[str]:
        """Active segments in lake order (partition, hour, opening time)."""
        return sorted(self._active)

    def poll(self, partitions: Iterable[str]) -> None:
        """Discover new segments of ``partitions``; retire hours found finished."""
        wanted = set(partitions)
        if self._clock() - self._walked_at >= self._rescan_seconds:
            # Forget what is finished once in a while: a walk like the first one finds a line
            # filed late under an old hour (a clock stepped back, an unusual writer).
            self._walked_at = self._clock()
            self._datasets.clear()
            self._active.clear()
        for dataset_id in [d for d in self._datasets if d not in wanted]:
            self._forget(dataset_id)
        for dataset_id in sorted(wanted):
            self._discover(dataset_id)

    def done(self, segment: str) -> None:
        """``segment`` is closed and consumed to its end (its hour may retire at next poll)."""
        entry = self._active.get(segment)
        if entry is not None:
            entry[1].done.add(segment)

    def _discover(self, dataset_id: str) -> None:
        ds = self._datasets.get(dataset_id)
        if ds is None:
            ds = self._datasets[dataset_id] = _Partition(self.lake_dir / dataset_id)
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
                for segment in hour_segments(self.lake_dir, hour.path):  # either form
                    if segment not in hour.segments:
                        hour.segments.add(segment)
                        self._active[segment] = (dataset_id, hour)
                hour.final = final
            elif hour.done >= hour.segments:  # ended, closed and read: never looked at again
                for segment in hour.segments:
                    del self._active[segment]
                del date.hours[name]
                date.finished.add(name)
                if self._on_retire is not None:
                    self._on_retire(dataset_id, hour.segments)

    def _forget(self, dataset_id: str) -> None:
        del self._datasets[dataset_id]
        for segment in [s for s, (d, _) in self._active.items() if d == dataset_id]:
            del self._active[segment]

    def _ended(self, end_hour: int) -> bool:
        return end_hour * layout.HOUR_MS + self._grace_ms <= self._wall_ms()


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
