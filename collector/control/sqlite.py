"""Opening every SQLite database the same way: control.db, profile.db, read-only and replay files.

Every connection is in autocommit mode (``isolation_level=None``: transactions are explicit
``BEGIN``/``COMMIT``), usable from any thread, with a busy timeout and foreign keys on.

- ``connect``: a connection that may write, in WAL mode (``wal=False`` leaves the journal mode
  alone, for a file about to be switched out of WAL); ``synchronous``, ``cache_mb`` and a
  ``page_size`` for a new, empty file are the profile store's tuning.
- ``connect_read_only``: opened ``mode=ro`` (the file must exist; nothing is created) with
  ``PRAGMA query_only``, so not even a temp table can be written.
- ``attach_read_only``: attaches another file ``mode=ro`` under an alias.
- ``migrate``: applies a set of migrations under an exclusive lock file beside the database
  (``<file>.migrate.lock``), so that processes starting together (uvicorn workers, the
  projector, the CLI) never run the same migration twice.

This module is the only place that calls ``sqlite3.connect`` (a test checks it).
"""

from __future__ import annotations

import fcntl
import sqlite3
import time
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from sqlite_utils import Database, Migrations

DEFAULT_BUSY_TIMEOUT_MS = 5000


def connect(
    path: Path,
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    wal: bool = True,
    synchronous: Literal["OFF", "NORMAL", "FULL"] | None = None,
    cache_mb: int | None = None,
    page_size: int | None = None,
) -> sqlite3.Connection:
    """An autocommit connection that may write (WAL, foreign keys on), usable from any thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    if page_size is not None and conn.execute("PRAGMA page_count").fetchone()[0] == 0:
        conn.execute(f"PRAGMA page_size={int(page_size)}")  # only a new, empty file takes it
    if wal:
        _use_wal(conn, busy_timeout_ms)
    if synchronous is not None:
        conn.execute(f"PRAGMA synchronous={synchronous}")
    if cache_mb is not None:
        conn.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
        conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _use_wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """Switch a file to WAL, waiting out other processes doing the same.

    Changing the journal mode of a new file needs its exclusive lock, and SQLite answers
    "database is locked" at once (the busy handler is not called there) when another process
    holds it: workers and the projector starting together on a fresh data directory do. So
    the switch is retried until the busy timeout, and skipped once the file is in WAL.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def connect_read_only(
    path: Path,
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    attach: dict[str, Path] | None = None,
) -> sqlite3.Connection:
    """A connection that cannot write: ``mode=ro`` and ``PRAGMA query_only``.

    ``attach`` maps aliases to other files attached read-only (those that exist).
    """
    conn = sqlite3.connect(
        read_only_uri(path), uri=True, check_same_thread=False, isolation_level=None
    )
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys=ON")
    for alias, other in (attach or {}).items():
        if other.exists():
            attach_read_only(conn, other, alias)
    conn.execute("PRAGMA query_only=ON")
    return conn


def attach_read_only(conn: sqlite3.Connection, path: Path, alias: str) -> None:
    if not alias.isidentifier():
        raise ValueError(f"not an SQL alias: {alias!r}")
    conn.execute(f"ATTACH DATABASE ? AS {alias}", (read_only_uri(path),))


def read_only_uri(path: Path) -> str:
    return f"file:{quote(str(path.resolve()))}?mode=ro"


def main_file(db: Database) -> str:
    """The path of ``db``'s main database file ("" for an in-memory database)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file or "")
    return ""


def migrate(db: Database, migrations: Migrations) -> list[str]:
    """Apply the pending ``migrations`` to ``db``; returns the names applied.

    The pending set is read and applied while holding ``<file>.migrate.lock`` (``flock``), so a
    second process waits and then finds nothing left to do. An in-memory database needs no lock.
    """
    main = main_file(db)
    if not main:
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
        return pending
    lock = Path(main).with_name(Path(main).name + ".migrate.lock")
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        pending = [m.name for m in migrations.pending(db)]
        if pending:
            migrations.apply(db)
        return pending
