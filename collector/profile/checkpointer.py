"""WAL checkpoints off the projector's critical path, and not after every batch.

With SQLite's automatic checkpoints, every commit that takes the WAL past 1,000 pages copies it
back into the database file and fsyncs, inside ``COMMIT``: measured here that is about two
thirds of the cost of projecting an event. The projector turns automatic checkpoints off and
tells this thread after each commit whether the batch was a full one. While it keeps up with
the lake (small batches) every commit is followed by a checkpoint; while it catches up (full
batches), once the WAL has grown past ``checkpoint_bytes`` or when it has caught up, the thread
runs a ``PASSIVE`` checkpoint on its own connection (the sqlite3 module releases the GIL
while SQLite works), so copying overlaps with parsing the next batch. Checkpointing every few
batches rather than after each one copies a page that several batches changed (an index leaf,
a profile row) once instead of once per batch. A ``PASSIVE`` checkpoint never blocks the
writer; the WAL restarts from its beginning at the first write after a checkpoint that caught
up, and is then cut back to ``journal_size_limit`` (set by the projector, below
``checkpoint_bytes``, so the file's size tells how much is waiting). If it grows past
``max_wal_bytes`` anyway, ``committed`` makes the writer run a blocking one.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from collector.control import sqlite

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(
        self,
        db_path: Path,
        *,
        checkpoint_bytes: int = 256 << 20,
        max_wal_bytes: int = 1 << 30,
    ) -> None:
        self._db_path = db_path
        self._wal = Path(f"{db_path}-wal")
        self._checkpoint_bytes = checkpoint_bytes
        self._max_wal_bytes = max_wal_bytes
        self._pending = False  # committed since the last poke
        self._poke = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._pending = False
        self._poke.set()

    def committed(self, conn: sqlite3.Connection, *, behind: bool = True) -> None:
        """``conn`` committed a batch; ``behind`` when it was a full batch taken from a backlog.

        A projector that keeps up checkpoints after every commit, each one small, so that no
        burst of I/O delays the lake's own fsyncs. One that catches up lets the WAL grow to
        ``checkpoint_bytes`` first, then checkpoints after each commit until the WAL has
        restarted (and been cut back to ``journal_size_limit``).
        """
        self._pending = True
        size = self._wal_size()
        if not behind or size >= self._checkpoint_bytes:
            self.poke()
        if size > self._max_wal_bytes:
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()

    def idle(self) -> None:
        """Nothing is pending in the lake: a good moment to checkpoint what is left."""
        if self._pending:
            self.poke()

    def _wal_size(self) -> int:
        try:
            return self._wal.stat().st_size
        except FileNotFoundError:
            return 0

    def close(self) -> None:
        self._stop.set()
        self._poke.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite.connect(self._db_path, busy_timeout_ms=100)
        try:
            while True:
                self._poke.wait()
                self._poke.clear()
                if self._stop.is_set():
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # busy: the next poke tries again
                    log.debug("passive checkpoint skipped: %s", exc)
        finally:
            conn.close()
