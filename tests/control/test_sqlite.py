"""Every database is opened by one helper, with the same pragmas."""

from __future__ import annotations

import multiprocessing
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from collector.control import sqlite
from collector.control.plane import ControlPlane
from collector.profile.checkpointer import Checkpointer
from collector.profile.store import connect_reader, connect_writer

ROOT = Path(__file__).resolve().parents[2] / "collector"


def pragmas(conn: sqlite3.Connection) -> dict[str, object]:
    names = ["busy_timeout", "foreign_keys", "journal_mode", "query_only"]
    return {n: conn.execute(f"PRAGMA {n}").fetchone()[0] for n in names}


def test_only_the_helper_calls_sqlite3_connect() -> None:
    callers = [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*.py")
        if re.search(r"sqlite3\.connect\(", p.read_text())
    ]
    assert callers == ["control/sqlite.py"]


def test_writers_share_their_pragmas(tmp_path: Path) -> None:
    control = ControlPlane(tmp_path / "control.db")
    profile = connect_writer(tmp_path / "profile.db")
    try:
        common = {"foreign_keys": 1, "journal_mode": "wal", "query_only": 0}
        assert pragmas(control._conn) == {**common, "busy_timeout": 5000}
        assert pragmas(profile) == {**common, "busy_timeout": 10_000}
        assert profile.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert profile.execute("PRAGMA page_size").fetchone()[0] == 16_384
        assert control._conn.isolation_level is None and profile.isolation_level is None
    finally:
        control.close()
        profile.close()


def test_read_only_connections_cannot_write_or_create(tmp_path: Path) -> None:
    connect_writer(tmp_path / "profile.db").close()
    ControlPlane(tmp_path / "control.db").close()
    conn = connect_reader(tmp_path / "profile.db", attach_control=tmp_path / "control.db")
    try:
        assert pragmas(conn) == {
            "busy_timeout": 10_000,
            "foreign_keys": 1,
            "journal_mode": "wal",
            "query_only": 1,
        }
        assert conn.execute("SELECT COUNT(*) FROM control.datasets").fetchone() == (0,)
        for statement in ["CREATE TABLE x (a)", "DELETE FROM control.datasets"]:
            with pytest.raises(sqlite3.OperationalError):
                conn.execute(statement)
    finally:
        conn.close()
    with pytest.raises(sqlite3.OperationalError):
        sqlite.connect_read_only(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


def test_the_checkpointer_and_a_non_wal_connection(tmp_path: Path) -> None:
    path = tmp_path / "profile.db"
    connect_writer(path).close()
    checkpointer = Checkpointer(path)
    checkpointer.poke()
    checkpointer.close()
    plain = sqlite.connect(tmp_path / "plain.db", wal=False)
    try:
        assert pragmas(plain)["journal_mode"] == "delete"
        assert pragmas(plain)["foreign_keys"] == 1
    finally:
        plain.close()
    with pytest.raises(ValueError):
        sqlite.attach_read_only(sqlite.connect(tmp_path / "x.db"), path, "x; DROP")


def _open_everything(control_db: str, start: Any) -> None:
    """What a uvicorn worker opens at start-up, after every sibling reached the barrier."""
    from collector.control.datastreams import Datastreams
    from collector.control.plane import ControlPlane
    from collector.guard.credentials import open_db
    from collector.tags.store import TagStore

    start.wait(timeout=30)
    control = ControlPlane(Path(control_db))
    Datastreams(control)
    TagStore(Path(control_db)).close()
    open_db(Path(control_db)).close()
    control.close()


def test_processes_starting_together_migrate_control_db_once(tmp_path: Path) -> None:
    """Eight processes open a fresh control.db at the same moment: every migration set runs
    once, under the lock, and none of them fails with "table ... already exists"."""
    ctx = multiprocessing.get_context("fork")
    for attempt in range(3):
        path = tmp_path / f"control-{attempt}.db"
        start = ctx.Barrier(8)
        procs = [ctx.Process(target=_open_everything, args=(str(path), start)) for _ in range(8)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=60)
        assert [proc.exitcode for proc in procs] == [0] * 8
        names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM _sqlite_migrations")]
        assert len(names) == len(set(names))
