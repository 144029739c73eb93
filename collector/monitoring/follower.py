"""The event follower: a bounded ring buffer of the events that recently reached the lake.

Each worker runs one, on its own thread. It reads files, so it sees every worker's writes.
Only the current and the previous hour partition of each dataset (accepted, and under
``_failed/``) are polled: a directory is listed again only when its mtime moved (or is recent,
as mtimes are coarse), and each known segment costs one ``stat`` per poll. Whole new lines are
read from the last offset; a torn last line waits for the next poll.

A segment that was rewritten (an erasure renames a scrubbed copy over it: a new inode, fewer
bytes) or removed (compacted to Parquet) takes its events out of the buffer at the next poll;
a rewritten one is read again from its recent tail, so an erased person's events leave the
debugger within one poll of the erasure, in every worker.

When more lines arrived between two polls than the buffer holds, the oldest are not parsed:
they are counted in ``skipped`` (a segment that grew by more than ``MAX_READ_BYTES`` is
skipped ahead the same way, its passed-over lines counted without being kept).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from collector.lake.segments import FAILED_DIR, TORN_DIR
from collector.monitoring.events import Event, summarise

log = logging.getLogger(__name__)

_HOUR_MS = 3_600_000
MAX_READ_BYTES = 8 * 1024 * 1024  # per segment and poll; past it, lines are skipped
BACKFILL_BYTES = 4 * 1024 * 1024  # per segment found at start: its recent tail is loaded
_RECENT_NS = 2_000_000_000  # a directory changed this recently is listed again
_CHUNK = 1 << 20


@dataclass(slots=True)
class _Pending:
    path: Path
    end: int
    line: bytes
    good: bool


def hour_dir(partition: Path, hour: int) -> Path:
    """``<partition>/date=YYYY-MM-DD/hour=HH`` of an hour index (ms // 3,600,000)."""
    stamp = datetime.fromtimestamp(hour * 3600, UTC)
    return partition / f"date={stamp:%Y-%m-%d}" / f"hour={stamp:%H}"


def partitions(lake_dir: Path) -> list[tuple[Path, bool]]:
    """Every dataset partition of the lake: ``(directory, accepted?)``."""
    found: list[tuple[Path, bool]] = []
    for base, good in ((lake_dir, True), (lake_dir / FAILED_DIR, False)):
        try:
            entries = list(os.scandir(base))
        except FileNotFoundError:
            continue
        for entry in entries:
            hidden = entry.name.startswith("_") and (good or entry.name == TORN_DIR)
            if entry.is_dir() and not hidden:
                found.append((Path(entry.path), good))
    return found


WATCH_SECONDS = 300.0  # how long the follower keeps reading after the last look at it


class EventFollower:
    """Follows the lake into a ring buffer of ``capacity`` events; ``poll`` runs one pass.

    It reads only while someone watches: ``watch`` (every debug request, every poll of the
    console's debugger) keeps it following for ``WATCH_SECONDS``; after that it forgets what
    it held and reads nothing, so a collector nobody debugs pays nothing for it. The first
    look after a quiet spell loads the recent tail of each segment again, like a start.
    """

    def __init__(
        self,
        lake_dir: Path,
        *,
        capacity: int = 10_000,
        poll_ms: int = 200,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.lake_dir = lake_dir
        self.capacity = max(0, capacity)  # 0: switched off, nothing is read
        self.poll_ms = poll_ms
        self.clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self.skipped = 0
        self.polls = 0
        self._buffer: deque[Event] = deque(maxlen=self.capacity)
        self._offsets: dict[str, int] = {}  # segment -> offset read to
        self._inodes: dict[str, int] = {}  # segment -> inode when first read
        self._gone: set[str] = set()  # segments rewritten or removed since the last poll
        self._paths: dict[str, Path] = {}  # segment -> its Path, made once
        self._known: dict[str, list[str]] = {}  # hour directory -> its segments
        self._listed: dict[str, int] = {}  # hour directory -> mtime_ns when listed
        self._hour_dirs: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()  # the buffer
        self._polling = threading.Lock()  # offsets: one poll at a time
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False
        self._watched_at = float("-inf")
        self._idle = True

    # -- reading ---------------------------------------------------------------------

    def snapshot(self) -> list[Event]:
        """The buffered events, oldest first."""
        with self._lock:
            return list(self._buffer)

    def __len__(self) -> int:
        return len(self._buffer)

    def watch(self) -> bool:
        """Someone reads the buffer: follow for ``WATCH_SECONDS`` more. True when the follower
        was idle: the caller then polls once before reading, to see what just arrived."""
        if self.capacity == 0:
            return False
        now = time.monotonic()
        idle = now - self._watched_at > WATCH_SECONDS
        self._watched_at = now
        if idle:
            self._wake.set()
        return idle

    def _watched(self) -> bool:
        return time.monotonic() - self._watched_at <= WATCH_SECONDS

    def _forget_if_unwatched(self) -> None:
        """Drop the buffer and the offsets once nobody watches (checked under the poll lock,
        so a request that just started watching is never undone)."""
        with self._polling:
            if self._watched() or self._idle:
                return
            with self._lock:
                self._buffer.clear()
            self._offsets.clear()
            self._inodes.clear()
            self._paths.clear()
            self._known.clear()
            self._listed.clear()
            self._started = False
            self._idle = True

    def poll(self) -> int:
        """Read what arrived since the last poll; returns the number of events added."""
        if self.capacity == 0:
            return 0
        with self._polling:
            return self._poll()

    def _poll(self) -> int:
        first = not self._started
        self._started = True
        self._idle = False
        hour = self.clock_ms() // _HOUR_MS
        pending: list[_Pending] = []
        skipped = 0
        live: set[str] = set()
        visited: set[str] = set()
        for partition, good in partitions(self.lake_dir):
            for h in (hour - 1, hour):
                directory = self._hour_dir(str(partition), h)
                visited.add(directory)
                for path in self._segments(directory):
                    live.add(path)
                    skipped += self._read(path, good, pending, first)
        for path in [p for p in self._offsets if p not in live]:
            del self._offsets[path]  # an hour that left the window, or a removed segment
            del self._paths[path]
            self._inodes.pop(path, None)
            if not os.path.exists(path):
                self._gone.add(path)
        for directory in [d for d in self._listed if d not in visited]:
            del self._listed[directory]
            self._known.pop(directory, None)
        if len(self._hour_dirs) > 4 * len(visited) + 64:
            self._hour_dirs.clear()
        if len(pending) > self.capacity:
            pending.sort(key=_order)
            skipped += len(pending) - self.capacity
            pending = pending[-self.capacity :]
        events = [
            e
            for p in pending
            if (e := summarise(p.line, good=p.good, path=p.path, end=p.end)) is not None
        ]
        events.sort(key=lambda e: e.received_ms)  # stable: a segment's order within a ms
        with self._lock:
            if self._gone:
                self._drop_gone(events)
            else:
                self._buffer.extend(events)
            self.skipped += skipped
            self.polls += 1
        return len(events)

    def _drop_gone(self, events: list[Event]) -> None:
        """Rebuild the buffer without the events of rewritten or removed segments, the
        events just read merged in by receive time (rare: erasures and compactions)."""
        gone = {Path(p) for p in self._gone}
        kept = [e for e in self._buffer if e.path not in gone]
        merged = sorted([*kept, *events], key=lambda e: e.received_ms)
        self._buffer = deque(merged[-self.capacity :], maxlen=self.capacity)
        self._gone.clear()

    def _hour_dir(self, partition: str, hour: int) -> str:
        key = (partition, hour)
        found = self._hour_dirs.get(key)
        if found is None:
            found = self._hour_dirs[key] = str(hour_dir(Path(partition), hour))
        return found

    def _segments(self, directory: str) -> list[str]:
        """The segments of an hour directory; listed again only when it may have changed."""
        known = self._known.get(directory, [])
        try:
            mtime = os.stat(directory).st_mtime_ns
        except FileNotFoundError:
            return known
        if self._listed.get(directory) == mtime and time.time_ns() - mtime > _RECENT_NS:
            return known
        self._listed[directory] = mtime
        found = {
            e.path
            for e in os.scandir(directory)
            if e.name.startswith("part-") and e.name.endswith(".jsonl")
        }
        known = self._known[directory] = sorted(found)  # a removed segment drops out
        return known

    def _read(self, path: str, good: bool, into: list[_Pending], first: bool) -> int:
        """Append the new whole lines of one segment to ``into``; returns lines skipped."""
        offset = self._offsets.get(path)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if offset is not None:
                self._gone.add(path)  # removed: its offset goes with the hour's next listing
            return 0
        size = st.st_size
        if offset is not None and (size < offset or st.st_ino != self._inodes.get(path)):
            self._gone.add(path)  # rewritten: read its recent tail again, like a start
            offset, first = None, True
        if offset is None:
            self._inodes[path] = st.st_ino
            self._paths[path] = Path(path)
            offset = max(0, size - BACKFILL_BYTES) if first else 0
            if offset:
                offset = _next_line(path, offset)
            self._offsets[path] = offset
        if size == offset:
            return 0
        skipped = 0
        if size - offset > MAX_READ_BYTES:
            start = _next_line(path, size - MAX_READ_BYTES)
            skipped = _count_lines(path, offset, start)
            offset = start
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(size - offset)
        last = data.rfind(b"\n")
        if last == -1:
            self._offsets[path] = offset
            return skipped
        segment = self._paths[path]
        position = offset
        for line in data[:last].split(b"\n"):
            position += len(line) + 1
            if line:
                into.append(_Pending(segment, position, line, good))
        self._offsets[path] = position
        return skipped

    # -- thread ----------------------------------------------------------------------

    def start(self) -> EventFollower:
        """Poll on a thread of its own (the first poll too: start-up does not wait for it)."""
        if self.capacity == 0:
            return self
        self._thread = threading.Thread(target=self._run, name="event-follower", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._watched():
                self._forget_if_unwatched()
                self._wake.clear()
                self._wake.wait(1.0)  # until someone watches (or a second, to re-check)
                continue
            try:
                self.poll()
            except OSError as exc:  # a lake that is briefly unreadable: try again next poll
                log.warning("event follower could not read the lake: %s", exc)
            if self._stop.wait(self.poll_ms / 1000):
                return


def _order(p: _Pending) -> tuple[bytes, int]:
    """Lines sort by the receive time their xactionId starts with (written first on a line)."""
    head = p.line[:40]
    start = head.find(b'"xactionId":"')
    if start == -1:
        return (b"", p.end)
    start += 13
    stop = head.find(b":", start)
    return (head[start:stop].rjust(15, b"0"), p.end)


def _next_line(path: str, offset: int) -> int:
    """The offset of the first line that starts at or after ``offset``."""
    if offset <= 0:
        return 0
    with open(path, "rb") as f:
        f.seek(offset - 1)
        position = offset - 1
        while chunk := f.read(_CHUNK):
            i = chunk.find(b"\n")
            if i != -1:
                return position + i + 1
            position += len(chunk)
    return position


def _count_lines(path: str, start: int, stop: int) -> int:
    count = 0
    with open(path, "rb") as f:
        f.seek(start)
        left = stop - start
        while left > 0 and (chunk := f.read(min(_CHUNK, left))):
            count += chunk.count(b"\n")
            left -= len(chunk)
    return count
