"""``collector lake compact``: closed hours as Parquet, read by replay, monitoring, erasure
and DuckDB exactly as their JSON lines were."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import orjson
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.control.settings import Settings
from collector.lake import compaction, parquet
from collector.lake.layout import HOUR_MS, WATERMARK_SUFFIX, segments
from collector.lake.lines import partition_lines
from collector.monitoring import lookup
from collector.monitoring.datasets import LakeCounts
from collector.privacy.lakescrub import needles, scrub
from collector.profile.replay import replay
from tests.profile.lakefixture import (
    BASE_MS,
    EVENTS,
    RECORDS,
    Lake,
    dump,
    ids,
    make_control,
    settings_for,
)

JANE = "jane@example.com"


def close_segments(settings: Settings) -> None:
    """The writers closed their segments: no watermark files left."""
    for mark in settings.lake_dir.rglob(f".*{WATERMARK_SUFFIX}"):
        mark.unlink()


def traffic(settings: Settings) -> Lake:
    """Events and records over two hours of 2026-01-01, two writers, linked identities."""
    lake = Lake(settings)
    lake.path(EVENTS, "w3", BASE_MS + HOUR_MS)  # the writer of the second hour
    for n in range(40):
        person = n % 5
        identity_map = ids(ECID=f"device{person}-{n % 2}")
        if n % 3 == 0:
            identity_map["Email"] = [{"id": f"person{person}@example.com", "primary": True}]
        lake.event(
            identity_map,
            event_id=f"evt-{n}",
            writer="w1" if n < 20 else "w2" if n < 30 else "w3",
            received_ms=BASE_MS + (HOUR_MS if n >= 30 else 0) + n,
            eventType="web.webpagedetails.pageViews",
        )
        if n % 4 == 0:
            lake.record(
                {"identityMap": ids(Email=f"person{person}@example.com"), "tags": [n]},
                received_ms=BASE_MS + n,
            )
    lake.event(ids(ECID="jane", Email=JANE), event_id="jane-1", received_ms=BASE_MS + 99)
    close_segments(settings)
    return lake


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = settings_for(tmp_path)
    make_control(settings)
    return settings


def lines_of(settings: Settings) -> list[tuple[str, int, bytes]]:
    return [
        line
        for partition in (EVENTS, RECORDS)
        for line in partition_lines(settings.lake_dir, partition)
    ]


def test_replay_from_parquet_builds_the_same_store(settings: Settings) -> None:
    traffic(settings)
    before_lines = lines_of(settings)
    replay(settings)
    from_json = dump(settings.profile_db_path)
    assert len(from_json["experience_events"]) == 41

    done = compaction.compact(
        settings.lake_dir, compaction.partitions(settings.lake_dir), replace=True
    )
    assert sum(hour.lines for hour in done) == len(before_lines)
    assert all(hour.written and hour.replaced == hour.segments for hour in done)
    assert segments(settings.lake_dir) == []  # only Parquet is left
    assert lines_of(settings) == before_lines  # same segments, offsets and bytes

    replay(settings)
    assert dump(settings.profile_db_path) == from_json


def test_parquet_is_atomic_verified_zstd_and_written_once(settings: Settings) -> None:
    traffic(settings)
    partitions = compaction.partitions(settings.lake_dir, EVENTS)
    first = compaction.compact(settings.lake_dir, partitions)
    assert [(h.partition, h.hour % 24, h.lines, h.written) for h in first] == [
        (EVENTS, 0, 31, True),
        (EVENTS, 1, 10, True),
    ]
    hour_dir = segments(settings.lake_dir, EVENTS)[0].parent
    target = hour_dir / parquet.COMPACTED
    assert sorted(p.name for p in hour_dir.iterdir() if p.name.startswith(".")) == []
    assert parquet.segments(target) == {
        segment.relative_to(settings.lake_dir).as_posix(): (
            len(segment.read_bytes().splitlines()),
            segment.stat().st_size,
        )
        for segment in hour_dir.glob("part-*.jsonl")
    }
    meta = pq.read_metadata(target)
    assert meta.num_rows == 31
    assert meta.row_group(0).column(0).compression == "ZSTD"
    # JSON lines kept without --replace; a second run leaves the file alone
    assert len(segments(settings.lake_dir, EVENTS)) == 3
    mtime = target.stat().st_mtime_ns
    again = compaction.compact(settings.lake_dir, partitions)
    assert [h.written for h in again] == [False, False] and target.stat().st_mtime_ns == mtime
    # a segment rewritten since (an erasure) makes it rewrite the hour
    segment = sorted(hour_dir.glob("part-*.jsonl"))[0]
    kept = segment.read_bytes().splitlines(keepends=True)[1:]
    segment.write_bytes(b"".join(kept))
    (rewritten, _) = compaction.compact(settings.lake_dir, partitions)
    assert rewritten.written and rewritten.lines == 30
    assert pq.read_metadata(target).num_rows == 30


def test_open_current_and_torn_hours_are_left_alone(settings: Settings) -> None:
    lake = traffic(settings)
    now_hour = BASE_MS // HOUR_MS + 1  # "now" is the second hour: only the first is closed
    done = compaction.compact(settings.lake_dir, [EVENTS], before_hour=now_hour)
    assert [h.hour for h in done] == [now_hour - 1]
    lake.path(EVENTS, "w4", BASE_MS + 3 * HOUR_MS)
    lake.event(ids(ECID="late"), writer="w4")  # still open: a watermark
    torn = lake.path(EVENTS, "w5", BASE_MS + 5 * HOUR_MS)
    torn.write_bytes(b'{"xactionId": "whole"}\n{"xactionId": "to')
    done = compaction.compact(settings.lake_dir, [EVENTS], before_hour=now_hour + 10)
    assert [h.hour - now_hour for h in done] == [-1, 0]


def test_monitoring_counts_the_same_after_replace(settings: Settings) -> None:
    traffic(settings)
    before = LakeCounts(settings.lake_dir).count([EVENTS, RECORDS])
    compaction.compact(settings.lake_dir, [EVENTS, RECORDS], replace=True)
    assert segments(settings.lake_dir) == []
    assert LakeCounts(settings.lake_dir).count([EVENTS, RECORDS]) == before


def test_erasure_removes_the_person_from_parquet(settings: Settings) -> None:
    traffic(settings)
    replay(settings)  # the projector has read everything
    compaction.compact(settings.lake_dir, [EVENTS], replace=True)
    offsets = {s: e for s, e, _ in partition_lines(settings.lake_dir, EVENTS)}
    progress = scrub(
        settings.lake_dir,
        "DEMO@AdobeOrg",
        needles([JANE, "jane"]),
        BASE_MS + 10 * HOUR_MS,
        read_offsets=offsets,
        tailed=lambda _: True,
    )
    assert (progress.lines, progress.segments, progress.unread) == (1, 1, [])
    left = [orjson.loads(line) for _, _, line in partition_lines(settings.lake_dir, EVENTS)]
    assert len(left) == 40 and all(JANE.encode() not in orjson.dumps(d) for d in left)


def test_debug_lookup_finds_a_line_of_a_replaced_hour(settings: Settings) -> None:
    lake = traffic(settings)
    wanted = lake.event(ids(ECID="x"), event_id="wanted", writer="w1")
    close_segments(settings)
    compaction.compact(settings.lake_dir, [EVENTS], replace=True)
    partitions = lookup.org_partitions(settings.lake_dir, [EVENTS])
    found = lookup.by_xaction(partitions, wanted["xactionId"], "DEMO@AdobeOrg")
    assert found is not None and found.event_id == "wanted" and found.good


def test_duckdb_reads_the_parquet_too(settings: Settings) -> None:
    traffic(settings)
    compaction.compact(settings.lake_dir, [EVENTS], replace=True)
    here = os.getcwd()
    os.chdir(settings.lake_dir)
    try:
        relation = duckdb.sql(
            f"""
            SELECT date, hour, count(*) AS n, count(DISTINCT line->>'$.entity._id') AS ids
            FROM read_parquet('{EVENTS}/*/*/*.parquet', hive_partitioning = true,
                              hive_types = {{'date': DATE, 'hour': INTEGER}})
            GROUP BY ALL ORDER BY ALL
            """
        )
        assert relation is not None
        rows = relation.fetchall()
    finally:
        os.chdir(here)
    assert [(str(d), h, n, i) for d, h, n, i in rows] == [
        ("2026-01-01", 0, 31, 31),
        ("2026-01-01", 1, 10, 10),
    ]


def test_the_command(settings: Settings) -> None:
    traffic(settings)
    runner = CliRunner()
    args = ["lake", "compact", "--data-dir", str(settings.data_dir), "--json"]
    result = runner.invoke(main, [*args, "--dataset", EVENTS, "--before", "2026-01-01T01:00"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output) == [
        {
            "partition": EVENTS,
            "date": "2026-01-01",
            "hour": 0,
            "segments": 2,
            "lines": 31,
            "written": True,
            "replaced": 0,
        }
    ]
    result = runner.invoke(main, [*args, "--replace"])
    assert result.exit_code == 0, result.output
    assert {(r["partition"], r["hour"], r["replaced"]) for r in orjson.loads(result.output)} == {
        (EVENTS, 0, 2),
        (EVENTS, 1, 1),
        (RECORDS, 0, 1),
    }
    again = orjson.loads(runner.invoke(main, [*args, "--replace"]).output)
    assert {
        (r["partition"], r["hour"], r["lines"], r["written"], r["replaced"]) for r in again
    } == {
        (EVENTS, 0, 31, False, 0),
        (EVENTS, 1, 10, False, 0),
        (RECORDS, 0, 10, False, 0),
    }
    result = runner.invoke(main, [*args, "--before", "yesterday"])
    assert result.exit_code == 2 and "not an ISO 8601 time" in result.output


def test_erasure_scrubs_both_forms_of_a_kept_hour(settings: Settings) -> None:
    traffic(settings)
    replay(settings)
    compaction.compact(settings.lake_dir, [EVENTS])  # JSON lines kept beside the Parquet
    offsets = {s: e for s, e, _ in partition_lines(settings.lake_dir, EVENTS)}
    progress = scrub(
        settings.lake_dir,
        "DEMO@AdobeOrg",
        needles([JANE, "jane"]),
        BASE_MS + 10 * HOUR_MS,
        read_offsets=offsets,
        tailed=lambda _: True,
    )
    assert progress.lines == 1  # counted once, in its segment
    for target in settings.lake_dir.rglob(parquet.COMPACTED):
        assert all(JANE.encode() not in row.line for row in parquet.rows(target))
    assert all(JANE.encode() not in p.read_bytes() for p in segments(settings.lake_dir))
    # replacing now leaves exactly the scrubbed JSON lines, at their positions
    scrubbed = list(partition_lines(settings.lake_dir, EVENTS))
    done = compaction.compact(settings.lake_dir, [EVENTS], replace=True)
    assert [(h.hour % 24, h.lines) for h in done] == [(0, 30), (1, 10)]
    assert segments(settings.lake_dir, EVENTS) == []
    assert list(partition_lines(settings.lake_dir, EVENTS)) == scrubbed
