"""``collector replay``: rebuild the profile store from the lake, then swap it in.

The new store is built in a fresh file next to ``profile.db`` (the erasure ledger and the
privacy jobs copied over first, so erased people stay erased), switched out of WAL mode, and
renamed over ``profile.db`` in one ``os.replace``. The old store is switched out of WAL mode
first so that no stale ``-wal`` file can be paired with the new one. The projector lock is
held throughout: stop ``collector serve`` / ``collector project`` before replaying.

With ``datasets`` the new store holds only those datasets; a projector started afterwards
catches up with the other profile-enabled datasets from their beginning.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from collector.control import sqlite
from collector.control.settings import Settings
from collector.profile.apply import Limits
from collector.profile.projector import Projector, projector_lock
from collector.profile.store import connect_writer


class ReplayError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class ReplayResult:
    lines: int
    erasures: int
    path: Path


def replay(
    settings: Settings,
    datasets: Iterable[str] | None = None,
    *,
    limits: Limits | None = None,
    clock: Callable[[], float] = time.time,
) -> ReplayResult:
    target = settings.profile_db_path
    fresh = target.with_name(f"{target.name}.replay-{os.getpid()}")
    with projector_lock(settings):
        _remove(fresh)
        erasures = _copy_erasures(target, fresh)
        projector = Projector(
            settings, db_path=fresh, only_datasets=datasets, limits=limits, clock=clock
        )
        try:
            lines = projector.catch_up()
        finally:
            projector.close()
        _leave_wal(fresh)
        if target.exists():
            _leave_wal(target)
        os.replace(fresh, target)
        _remove(fresh)
        connect_writer(target).close()  # back to WAL
    return ReplayResult(lines, erasures, target)


def _copy_erasures(source: Path, fresh: Path) -> int:
    if source.exists():
        connect_writer(source).close()  # an old store is migrated first (its erasures move)
    conn = connect_writer(fresh)
    try:
        if not source.exists():
            return 0
        conn.execute("ATTACH DATABASE ? AS old", (str(source),))
        copied = conn.execute(
            "INSERT INTO erasure_ledger SELECT * FROM old.erasure_ledger ORDER BY rowid"
        ).rowcount
        conn.execute("INSERT INTO privacy_jobs SELECT * FROM old.privacy_jobs")
        conn.execute("DETACH DATABASE old")
        return copied
    finally:
        conn.close()


def _leave_wal(path: Path) -> None:
    try:
        conn = sqlite.connect(path, busy_timeout_ms=10_000, wal=False)
    except sqlite3.OperationalError as exc:
        raise ReplayError(f"{path} is in use ({exc}); stop the collector and retry") from None
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError as exc:
        raise ReplayError(f"{path} is in use ({exc}); stop the collector and retry") from None
    finally:
        conn.close()
    if str(mode).lower() != "delete":
        raise ReplayError(f"{path} is in use; stop the collector and retry")


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
