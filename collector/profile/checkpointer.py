"""WAL checkpoints off the projector's critical path.

With SQLite's automatic checkpoints, every commit that takes the WAL past 1,000 pages copies it
back into the database file and fsyncs, inside ``COMMIT``: measured here that is about two
thirds of the cost of projecting an event. The projector turns automatic checkpoints off and
pokes this thread after each commit; the thread runs a ``PASSIVE`` checkpoint on its own
connection (the sqlite3 module releases the GIL while SQLite works), so copying overlaps with
parsing the next batch. A ``PASSIVE`` checkpoint never blocks the writer; the WAL restarts from
its beginning at the first write after a checkpoint that caught up. If it grows past
``max_wal_bytes`` anyway, ``wait_if_behind`` makes the writer run a blocking one.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(self, db_path: Path, *, max_wal_bytes: int = 256 << 20) -> None:
        self._db_path = db_path
        self._wal = Path(f"{db_path}-wal")
        self._max_wal_bytes = max_wal_bytes
        self._poke = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._poke.set()

    def wait_if_behind(self, conn: sqlite3.Connection) -> None:
        """Checkpoint on the writer's connection when the WAL has grown too large."""
        try:
            size = self._wal.stat().st_size
        except FileNotFoundError:
            return
        if size > self._max_wal_bytes:
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()

    def close(self) -> None:
        self._stop.set()
        self._poke.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._db_path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=100")
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
