"""The lake layout: paths are built and parsed in one place, and agree with each other."""

from __future__ import annotations

from pathlib import Path

from collector.lake import layout

HOUR = 3_600_000
T0 = 1_795_000_000_000 // HOUR * HOUR  # 2026-11-18 11:00 UTC


def test_build_and_parse_round_trip(tmp_path: Path) -> None:
    hour = layout.hour_of(T0 + 59 * 60_000)
    path = layout.segment_path(tmp_path, "ds1", hour, 1_795_000_000_123, "ab12")
    rel = path.relative_to(tmp_path)
    assert rel.as_posix() == "ds1/date=2026-11-18/hour=11/part-1795000000123-ab12.jsonl"
    name = layout.parse_segment(rel)
    assert name == layout.SegmentName("ds1", hour, 1_795_000_000_123, "ab12")
    assert name.hour_ms == T0


def test_failed_partitions_parse_with_their_dataset() -> None:
    rel = f"{layout.failed_partition('ds1')}/date=2026-01-01/hour=00/part-0000000000001-w.jsonl"
    name = layout.parse_segment(rel)
    assert name is not None and name.partition == "_failed/ds1"
    assert name.hour_ms == 1_767_225_600_000


def test_what_is_not_a_segment() -> None:
    for rel in [
        "ds/date=2026-01-01/hour=00/_promoted.jsonl",
        "ds/date=2026-01-01/hour=00/.part-0000000000001-w.jsonl.acked",
        "ds/date=2026-13-01/hour=00/part-0000000000001-w.jsonl",
        "ds/date=2026-01-01/hour=24/part-0000000000001-w.jsonl",
        "ds/date=2026-01-01/part-0000000000001-w.jsonl",
        "_torn/ds/date=2026-01-01/hour=00/part-0000000000001-w.jsonl",
    ]:
        assert layout.parse_segment(rel) is None, rel
    assert layout.parse_date_dir("date=2026-02-30") is None
    assert layout.parse_hour_dir("hour=7") is None


def test_segments_walks_partitions_and_skips_everything_else(tmp_path: Path) -> None:
    def touch(rel: str) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"{}\n")
        return path

    a2 = touch("ds/date=2026-01-02/hour=00/part-0000000000002-w.jsonl")
    a1 = touch("ds/date=2026-01-01/hour=23/part-0000000000001-w.jsonl")
    f1 = touch("_failed/ds/date=2026-01-01/hour=00/part-0000000000001-w.jsonl")
    touch("_failed/ds/_promoted.jsonl")
    touch("_torn/ds/date=2026-01-01/hour=23/part-0000000000001-w.jsonl.5.partial")
    touch("_torn/report.jsonl")
    touch("ds/date=2026-01-01/hour=23/.part-0000000000001-w.jsonl.acked")
    assert layout.segments(tmp_path, "ds") == [a1, a2]
    assert layout.segments(tmp_path, "_failed/ds") == [f1]
    assert layout.segments(tmp_path, "_failed") == [f1]
    assert layout.segments(tmp_path) == [f1, a1, a2]
    assert layout.segments(tmp_path, "missing") == []
