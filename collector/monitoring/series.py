"""Monitoring over time: per-minute counters in ``monitoring.db``, summed across processes.

Every process (each uvicorn worker, the projector) counts in memory, keyed by
(minute, org, inlet, dataset, metric), and flushes the deltas about once a second with one
upsert per key that adds to what other processes wrote. Nothing here scans the lake, so the
idle cost is one small transaction per flush with something to write, and none without.

Metrics (names are the API of ``GET /monitoring/series`` and ``collector stats``):

- ``received``, ``accepted``, ``bytes``: messages and body bytes that reached the pipeline;
- ``failed:<reason>``: messages kept in ``_failed`` (``invalid``, ``format``, ``org``, ...);
- ``rejected:<status>``: requests answered with an error status, ``throttled`` for 429s;
- ``time_to_profile_ms:<upper bound>``: a histogram of acknowledgement-to-profile delays
  written by the projector, read back as p50 and p95 per step.

Rows older than the retention (``COLLECTOR_MONITORING_RETENTION_DAYS``) are deleted by the
flush that first sees them expire, at most once an hour.
"""

from __future__ import annotations

import bisect
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from collector.control import sqlite

TIME_TO_PROFILE = "time_to_profile_ms"
# Upper bounds (ms) of the time-to-profile histogram; the last bucket is open.
TTP_BOUNDS: tuple[float, ...] = (
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, math.inf,
)  # fmt: skip
_PURGE_EVERY = 3600.0

migrations = Migrations("xdm-collector.monitoring")


@migrations(name="0001_minute_counts")
def _minute_counts(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE minute_counts (
            minute INTEGER NOT NULL,
            org_id TEXT NOT NULL,
            inlet_id TEXT NOT NULL,
            dataset_id TEXT NOT NULL,
            metric TEXT NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (minute, org_id, inlet_id, dataset_id, metric)
        ) WITHOUT ROWID
        """
    )


def open_db(path: Path) -> sqlite3.Connection:
    conn = sqlite.connect(path)
    sqlite.migrate(Database(conn), migrations)
    return conn


def ttp_bucket(delay_ms: float) -> str:
    """The histogram metric a time-to-profile delay is counted under."""
    bound = TTP_BOUNDS[bisect.bisect_left(TTP_BOUNDS, delay_ms)]
    return f"{TIME_TO_PROFILE}:{'inf' if math.isinf(bound) else int(bound)}"


_Key = tuple[int, str, str, str, str]


class MinuteCounters:
    """One process's counters; ``add`` is cheap, ``flush`` writes the deltas."""

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.retention_days = retention_days
        self._clock = clock
        self._pending: dict[_Key, int] = {}
        self._swap = threading.Lock()
        self._write = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._purged_at = float("-inf")

    def add(
        self, metric: str, n: int = 1, *, org: str = "", inlet: str = "", dataset: str = ""
    ) -> None:
        key = (int(self._clock()) // 60 * 60, org, inlet, dataset, metric)
        with self._swap:
            self._pending[key] = self._pending.get(key, 0) + n

    def flush(self) -> int:
        """Add what was counted since the last flush to the database; returns the keys written."""
        with self._swap:
            pending, self._pending = self._pending, {}
        with self._write:
            now = self._clock()
            purge = now - self._purged_at >= _PURGE_EVERY
            if not pending and not purge:
                return 0
            conn = self._connection()
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(
                    "INSERT INTO minute_counts VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT DO UPDATE SET value = value + excluded.value",
                    [(*key, value) for key, value in pending.items()],
                )
                if purge:
                    horizon = int(now) - self.retention_days * 86_400
                    conn.execute("DELETE FROM minute_counts WHERE minute < ?", [horizon])
            if purge:
                self._purged_at = now
            return len(pending)

    def close(self) -> None:
        self.flush()
        with self._write:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = open_db(self.path)
        return self._conn


@dataclass(frozen=True)
class SeriesQuery:
    start: int  # unix seconds, inclusive
    end: int  # unix seconds, exclusive
    step: int  # seconds, a multiple of 60
    org: str | None = None
    inlet: str | None = None
    dataset: str | None = None


def series(conn: sqlite3.Connection, query: SeriesQuery) -> dict[str, Any]:
    """Counters summed per step; the time-to-profile histogram read as p50 and p95."""
    where = ["minute >= ?", "minute < ?"]
    params: list[Any] = [query.start, query.end]
    for column, value in (
        ("org_id", query.org),
        ("inlet_id", query.inlet),
        ("dataset_id", query.dataset),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    rows = conn.execute(
        f"SELECT (minute - ?) / ? AS slot, metric, SUM(value) FROM minute_counts"
        f" WHERE {' AND '.join(where)} GROUP BY slot, metric ORDER BY slot",
        [query.start, query.step, *params],
    ).fetchall()
    slots = max(0, math.ceil((query.end - query.start) / query.step))
    times = [query.start + i * query.step for i in range(slots)]
    counters: dict[str, list[int]] = {}
    histograms: dict[int, dict[str, int]] = {}
    for slot, metric, value in rows:
        if metric.startswith(TIME_TO_PROFILE + ":"):
            histograms.setdefault(slot, {})[metric] = value
            continue
        counters.setdefault(metric, [0] * slots)[slot] = value
    found = [
        {"metric": metric, "points": [[t, v] for t, v in zip(times, values, strict=True)]}
        for metric, values in sorted(counters.items())
    ]
    if histograms:
        for name, q in (("time_to_profile_ms_p50", 0.5), ("time_to_profile_ms_p95", 0.95)):
            found.append(
                {
                    "metric": name,
                    "points": [
                        [t, quantile(histograms.get(i, {}), q)] for i, t in enumerate(times)
                    ],
                }
            )
    return {"start": query.start, "end": query.end, "step": query.step, "series": found}


def quantile(buckets: dict[str, int], q: float) -> float | None:
    """The upper bound (ms) of the bucket holding quantile ``q``; None without data.

    A delay past the last finite bound is reported as that bound (60,000: a minute or more).
    """
    counts = [buckets.get(ttp_bucket(bound), 0) for bound in TTP_BOUNDS]
    total = sum(counts)
    if total == 0:
        return None
    seen = 0
    for bound, count in zip(TTP_BOUNDS, counts, strict=True):
        seen += count
        if seen >= q * total:
            return float(bound) if not math.isinf(bound) else float(TTP_BOUNDS[-2])
    return float(TTP_BOUNDS[-2])


def totals(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Each counter summed over every point of a ``series`` answer."""
    return {
        row["metric"]: sum(v for _, v in row["points"] if isinstance(v, int))
        for row in rows
        if not row["metric"].startswith(TIME_TO_PROFILE)
    }
