"""Monitoring's lake counts stay right while finished hours retire into totals."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.lake import layout
from collector.monitoring.datasets import LakeCounts
from tests.profile.test_tail import DS, NOW_HOUR, build, count_calls, write_segment


def test_counts_survive_retirement_and_an_idle_request_is_cheap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def idle_request(hours: int) -> tuple[dict[str, tuple[int, int]], int]:
        lake = tmp_path / f"lake{hours}"
        current = build(lake, hours)
        write_segment(lake / layout.FAILED_DIR, NOW_HOUR - 5, 4)  # _failed/<DS>
        counts = LakeCounts(lake)
        partitions = [DS, layout.failed_partition(DS)]
        first = counts.count(partitions)
        assert counts.count(partitions) == first  # the finished hours retired: same totals
        with current.open("ab") as f:
            f.write(b'{"n": 7}\n')
        calls = count_calls(monkeypatch, lambda: counts.count(partitions))
        totals = counts.count(partitions)
        assert totals[DS] == (hours * 3 + 3, hours + 1)
        return totals, sum(calls.values())

    few, few_calls = idle_request(3)
    many, many_calls = idle_request(300)
    assert few[layout.failed_partition(DS)] == many[layout.failed_partition(DS)] == (4, 1)
    assert few_calls == many_calls <= 20


def test_a_rescan_does_not_count_anything_twice(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    build(lake, 4)
    now = [0.0]
    counts = LakeCounts(lake, clock=lambda: now[0])
    first = counts.count([DS])
    counts.count([DS])
    late = layout.segment_path(lake, DS, NOW_HOUR - 3, (NOW_HOUR - 2) * layout.HOUR_MS, "w9")
    late.write_bytes(b'{"n": "late"}\n')  # beside the finished one, e.g. after a clock step
    assert counts.count([DS]) == first  # the finished hour is not listed
    now[0] = 10_000.0
    lines, segments = first[DS]
    assert counts.count([DS]) == {DS: (lines + 1, segments + 1)}
    assert counts.count([DS]) == {DS: (lines + 1, segments + 1)}
