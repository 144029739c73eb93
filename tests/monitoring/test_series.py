"""collector/monitoring/series.py: per-minute counters summed across processes, read per step."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.monitoring.series import (
    MinuteCounters,
    SeriesQuery,
    open_db,
    quantile,
    series,
    totals,
    ttp_bucket,
)

T0 = 1_800_000_000 // 60 * 60  # a minute boundary


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_two_processes_add_up_in_the_right_minutes(tmp_path: Path) -> None:
    db = tmp_path / "monitoring.db"
    clock = Clock(T0 + 5)
    first, second = MinuteCounters(db, clock=clock), MinuteCounters(db, clock=clock)
    first.add("accepted", 3, org="A@AdobeOrg", inlet="i1", dataset="d1")
    second.add("accepted", 2, org="A@AdobeOrg", inlet="i1", dataset="d1")
    clock.now = T0 + 65
    second.add("failed:invalid", 1, org="A@AdobeOrg", inlet="i1", dataset="d1")
    assert first.flush() == 1
    assert second.flush() == 2
    first.add("accepted", 1, org="B@AdobeOrg", dataset="d2")
    first.close()
    second.close()

    conn = open_db(db)
    answer = series(conn, SeriesQuery(start=T0, end=T0 + 180, step=60, org="A@AdobeOrg"))
    by_metric = {row["metric"]: row["points"] for row in answer["series"]}
    assert by_metric["accepted"] == [[T0, 5], [T0 + 60, 0], [T0 + 120, 0]]
    assert by_metric["failed:invalid"] == [[T0, 0], [T0 + 60, 1], [T0 + 120, 0]]
    wide = series(conn, SeriesQuery(start=T0, end=T0 + 180, step=180))
    assert totals(wide["series"]) == {"accepted": 6, "failed:invalid": 1}
    assert totals(series(conn, SeriesQuery(T0, T0 + 180, 60, dataset="d2"))["series"]) == {
        "accepted": 1
    }


def test_an_idle_flush_writes_nothing(tmp_path: Path) -> None:
    counters = MinuteCounters(tmp_path / "m.db", clock=Clock(T0))
    counters.add("accepted")
    assert counters.flush() == 1
    assert counters.flush() == 0


def test_rows_past_the_retention_are_purged(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    clock = Clock(T0)
    counters = MinuteCounters(db, retention_days=1, clock=clock)
    counters.add("accepted")
    counters.flush()
    clock.now = T0 + 2 * 86_400
    counters.add("accepted")
    counters.flush()  # the first flush an hour later purges
    rows = open_db(db).execute("SELECT minute FROM minute_counts").fetchall()
    assert rows == [(int(clock.now) // 60 * 60,)]


def test_time_to_profile_reads_as_percentiles(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    counters = MinuteCounters(db, clock=Clock(T0))
    for delay in [3] * 90 + [40] * 5 + [400] * 5:
        counters.add(ttp_bucket(delay), dataset="d1")
    counters.close()
    answer = series(open_db(db), SeriesQuery(T0, T0 + 60, 60))
    by_metric = {row["metric"]: row["points"] for row in answer["series"]}
    assert by_metric["time_to_profile_ms_p50"] == [[T0, 5.0]]
    assert by_metric["time_to_profile_ms_p95"] == [[T0, 50.0]]
    assert not any(m.startswith("time_to_profile_ms:") for m in by_metric)


@pytest.mark.parametrize(
    ("delay", "bucket"),
    [(0, "5"), (5, "5"), (5.1, "10"), (59_999, "60000"), (10**9, "inf")],
)
def test_delays_fall_in_their_bucket(delay: float, bucket: str) -> None:
    assert ttp_bucket(delay) == f"time_to_profile_ms:{bucket}"


def test_a_quantile_without_data_is_none() -> None:
    assert quantile({}, 0.5) is None
    assert quantile({ttp_bucket(10**9): 3}, 0.95) == 60_000.0
