"""Opening the control plane's SQLite file the same way everywhere."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path, *, busy_timeout_ms: int = 5000) -> sqlite3.Connection:
    """An autocommit connection in WAL mode with foreign keys on, usable from any thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn
