"""Asking every lake writer to close its open segments (an erasure must rewrite them).

A writer holds each open segment under an exclusive ``flock`` and no one else may change it.
``request`` touches ``<data dir>/lake.rotate``; each writer's commit thread checks that file's
modification time at most every ``CHECK_SECONDS`` (also while idle) and, when it changed,
closes every open segment. The next line of a partition then starts a new segment. So a job
waiting for a segment to be closed waits about ``CHECK_SECONDS``, in every worker process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

FILE = "lake.rotate"
CHECK_SECONDS = 0.5


def request(data_dir: Path) -> None:
    """Ask every writer of ``data_dir`` to close its open segments."""
    path = data_dir / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{time.time_ns()}\n")


class RotationRequests:
    """A writer's view of the request file: ``due`` is True once per new request."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._path = data_dir / FILE
        self._clock = clock
        self._checked_at = float("-inf")
        self._seen = self._stamp()  # a request older than the writer is already honoured

    def due(self) -> bool:
        now = self._clock()
        if now - self._checked_at < CHECK_SECONDS:
            return False
        self._checked_at = now
        stamp = self._stamp()
        if stamp == self._seen:
            return False
        self._seen = stamp
        return True

    def _stamp(self) -> int:
        try:
            return os.stat(self._path).st_mtime_ns
        except OSError:
            return 0
