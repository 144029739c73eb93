"""The lake writer: append-only JSON-lines segments, durable before the acknowledgement.

Layout (``layout.py``): one segment per partition, hour and writer, e.g.
``lake/<datasetId>/date=YYYY-MM-DD/hour=HH/part-<open ms>-<writer>.jsonl``. Each process
writes its own segments (it holds an exclusive ``flock`` on each open one), rotated by size
and by hour.

Group commit: callers hand lines to one commit thread, which writes everything pending with
one ``write`` per segment and one ``fdatasync`` per touched segment, then wakes every waiter
of that group. Requests that arrive while a group is being synced form the next group, so
fsync cost is shared by all concurrent requests and no timer is involved.

Watermark (``watermark.py``): after the sync and before the acknowledgement, each touched
segment's watermark file is advanced to its new length; readers never read past it. When a
group fails (a short write then ENOSPC/EIO, a failed sync), only its unacknowledged bytes
are cut off (no reader can have seen them) and the segment is sealed: the next group opens a
new one. Acknowledged bytes are never removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple, Protocol

from collector.control.settings import AckMode, Settings
from collector.errors import StorageUnavailable
from collector.lake import layout
from collector.lake.rotation import CHECK_SECONDS, RotationRequests
from collector.lake.watermark import Watermark

log = logging.getLogger(__name__)


class LakeEntry(NamedTuple):
    """One line for the lake: ``line`` is a JSON document without its trailing newline.

    A named tuple: one is made per message (a frozen dataclass costs four times as much).
    """

    partition: str
    received_ms: int
    line: bytes


class _Waiter(Protocol):
    def done(self, error: BaseException | None) -> None: ...


@dataclass
class _Segment:
    path: Path
    fd: int
    hour: int
    watermark: Watermark
    size: int = 0  # bytes written (acknowledged: ``watermark.offset``)


class _BlockingWaiter:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.error: BaseException | None = None

    def done(self, error: BaseException | None) -> None:
        self.error = error
        self.event.set()


@dataclass(slots=True)
class _AsyncWaiter:
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    error: BaseException | None = field(default=None)

    def done(self, error: BaseException | None) -> None:
        self.error = error


def _resolve(waiters: list[_AsyncWaiter]) -> None:
    for w in waiters:
        if not w.future.done():
            if w.error is None:
                w.future.set_result(None)
            else:
                w.future.set_exception(w.error)


class Lake:
    """Appends lines to lake segments; ``append`` returns once they are durable."""

    def __init__(
        self,
        settings: Settings,
        *,
        writer_id: str | None = None,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.root = settings.lake_dir
        self.segment_max_bytes = settings.segment_max_bytes
        self.ack_mode: AckMode = settings.ack_mode
        self.writer_id = writer_id or f"{os.getpid():x}{secrets.token_hex(3)}"
        self._pending: deque[tuple[Sequence[LakeEntry], _Waiter]] = deque()
        self._wake = threading.Condition()
        self._segments: dict[tuple[str, int], _Segment] = {}
        self._thread: threading.Thread | None = None
        self._closing = False
        self._last_open_ms = 0
        self._rotation = RotationRequests(settings.data_dir)  # erasures ask for it
        self.lines_written = 0
        self.groups = 0
        # Told each group commit's fsync time, on the commit thread (monitoring's histogram).
        self.on_sync: Callable[[float], None] | None = None

    # -- public API -------------------------------------------------------------------

    async def append(self, entries: Sequence[LakeEntry]) -> None:
        """Append ``entries``; returns when they are on disk (or written, in "write" mode)."""
        if not entries:
            return
        loop = asyncio.get_running_loop()
        waiter = _AsyncWaiter(loop, loop.create_future())
        self._submit(entries, waiter)
        await waiter.future

    def append_blocking(self, entries: Sequence[LakeEntry]) -> None:
        """The same for synchronous callers (CLI commands)."""
        if not entries:
            return
        waiter = _BlockingWaiter()
        self._submit(entries, waiter)
        waiter.event.wait()
        if waiter.error is not None:
            raise waiter.error

    def close(self) -> None:
        """Flush what is pending, close every segment and stop the commit thread."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        for key in list(self._segments):
            self._drop(key)

    # -- commit thread ---------------------------------------------------------------

    def _submit(self, entries: Sequence[LakeEntry], waiter: _Waiter) -> None:
        with self._wake:
            if self._closing:
                raise StorageUnavailable("Lake is shutting down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lake-commit", daemon=True)
                self._thread.start()
            self._pending.append((entries, waiter))
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closing:
                    self._wake.wait(CHECK_SECONDS)
                    self._rotate_if_asked()
                if not self._pending and self._closing:
                    return
                group = list(self._pending)
                self._pending.clear()
            error = self._commit(group)
            self._finish(group, error)

    def _finish(
        self, group: list[tuple[Sequence[LakeEntry], _Waiter]], error: BaseException | None
    ) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_AsyncWaiter]] = {}
        for _, waiter in group:
            waiter.done(error)
            if isinstance(waiter, _AsyncWaiter):
                by_loop.setdefault(waiter.loop, []).append(waiter)
        for loop, waiters in by_loop.items():
            # A closed loop raises RuntimeError: nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, waiters)

    def _rotate_if_asked(self) -> None:
        if self._rotation.due():
            for key in list(self._segments):
                self._drop(key)

    def _commit(self, group: list[tuple[Sequence[LakeEntry], _Waiter]]) -> BaseException | None:
        self._rotate_if_asked()
        buffers: dict[tuple[str, int], bytearray] = {}
        count = 0
        for entries, _ in group:
            for entry in entries:
                key = (entry.partition, layout.hour_of(entry.received_ms))
                buf = buffers.get(key)
                if buf is None:
                    buf = buffers[key] = bytearray()
                buf += entry.line
                buf += b"\n"
                count += 1
        touched: list[_Segment] = []
        try:
            for key, buf in buffers.items():
                touched.append(self._segment(key))
                self._write(touched[-1], bytes(buf))
            if self.ack_mode == "fsync":
                started = time.perf_counter()
                for seg in touched:
                    os.fdatasync(seg.fd)
                if self.on_sync is not None:
                    self.on_sync(time.perf_counter() - started)
            for seg in touched:
                seg.watermark.advance(seg.size)  # readers may now see these lines
        except OSError as exc:
            log.error("lake write failed: %s", exc)
            for seg in touched:
                self._seal(seg)
            return StorageUnavailable(f"Storage is not writable: {exc.strerror or exc}")
        for seg in touched:
            self._maybe_rotate(seg)
        self.lines_written += count
        self.groups += 1
        return None

    def _segment(self, key: tuple[str, int]) -> _Segment:
        seg = self._segments.get(key)
        return seg if seg is not None else self._open(*key)

    def _write(self, seg: _Segment, data: bytes) -> None:
        view = memoryview(data)
        written = 0
        try:
            while written < len(data):
                written += os.write(seg.fd, view[written:])
        finally:
            seg.size += written

    def _seal(self, seg: _Segment) -> None:
        """After a failed group: cut the unacknowledged tail off and close the segment.

        The tail lies past the watermark, so no reader has seen it. If it cannot be cut, the
        watermark file stays behind: readers keep stopping there, and recovery cuts it later.
        """
        acked = seg.watermark.offset
        clean = seg.size == acked
        if not clean:
            try:
                os.ftruncate(seg.fd, acked)
                seg.size = acked
                clean = True
            except OSError as exc:
                log.error("cannot cut %s back to %d bytes: %s", seg.path, acked, exc)
        for key, open_seg in list(self._segments.items()):
            if open_seg is seg:
                del self._segments[key]
        os.close(seg.fd)
        seg.watermark.close(remove=clean)

    def _maybe_rotate(self, seg: _Segment) -> None:
        if seg.size >= self.segment_max_bytes:
            for key, open_seg in list(self._segments.items()):
                if open_seg is seg:
                    self._drop(key)

    def _drop(self, key: tuple[str, int]) -> None:
        """Close a segment whose every byte is acknowledged: it is durable to its end."""
        seg = self._segments.pop(key)
        os.close(seg.fd)
        seg.watermark.close(remove=seg.size == seg.watermark.offset)

    def _open(self, partition: str, hour: int) -> _Segment:
        # Segments of older hours of this partition are finished: close them.
        for key in [k for k in self._segments if k[0] == partition and k[1] < hour]:
            self._drop(key)
        directory = layout.hour_dir(self.root, partition, hour)
        new_dirs = [p for p in (directory, *directory.parents) if not p.exists()]
        directory.mkdir(parents=True, exist_ok=True)
        open_ms = max(int(datetime.now(UTC).timestamp() * 1000), self._last_open_ms + 1)
        self._last_open_ms = open_ms
        path = directory / layout.segment_file_name(open_ms, self.writer_id)
        watermark = Watermark(path)  # first: a segment without one reads as closed
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        except OSError:
            watermark.close(remove=True)
            raise
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # Make the new file (and any new directories) survive a power loss.
        for d in [directory, *[p.parent for p in new_dirs]]:
            _fsync_dir(d)
        seg = _Segment(path, fd, hour, watermark, os.fstat(fd).st_size)
        self._segments[(partition, hour)] = seg
        return seg


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
