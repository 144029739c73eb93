"""bench/idle.py runs end to end on a tiny lake (no timing thresholds)."""

from __future__ import annotations

from pathlib import Path

from bench import idle


def test_a_tiny_run_reports_every_number(tmp_path: Path) -> None:
    result = idle.measure(3, 0.2, tmp_path)
    assert result.segments == 3
    assert result.catch_up_s > 0 and 0 <= result.idle_cpu < 2
    assert 0 < result.median_ms <= result.max_ms
