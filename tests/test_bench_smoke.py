"""The ingest benchmark's helpers produce well-formed numbers (no timing thresholds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import ingest, wrk
from bench.report import markdown


def test_own_time_ranks_innermost_frames() -> None:
    collapsed = "\n".join(
        [
            "main (a.py);handle (b.py);parse (c.py) 6",
            "main (a.py);handle (b.py) 2",
            "main (a.py);write (d.py) 2",
            "not a stack line",
        ]
    )
    assert ingest.own_time(collapsed, 2) == [("parse (c.py)", 60.0), ("handle (b.py)", 20.0)]


@pytest.mark.slow
@pytest.mark.skipif(not wrk.available(), reason="wrk is not installed (make system-deps)")
def test_one_second_run_against_live_servers(tmp_path: Path) -> None:
    options = ingest.Options(
        seconds=1.0,
        connections=4,
        batch_connections=2,
        batch_size=10,
        workers=(1,),
        half_load_connections=2,
        warmup_seconds=0.0,
        data_root=tmp_path,
    )
    run = ingest.run(options, log=False)

    kinds = {(m.load, m.server) for m in run.measurements}
    assert kinds == {
        (load, server) for load in ("single", "batch") for server in ("bare", "collector")
    }
    for m in run.measurements:
        assert m.result.requests > 0, m
        assert m.result.errors == 0, m
        assert 0 < m.result.p50_ms <= m.result.p99_ms, m
        assert m.result.server_cpu > 0, m
        if m.server == "collector":
            # Every acknowledged message is in the lake, none was rejected.
            assert m.lake_lines is not None
            assert m.lake_lines >= m.result.requests * m.messages_per_request
            assert m.failed_lines == 0
    half = run.half_load[1]
    assert half.requests > 0 and half.errors == 0
    assert 0 < half.p50_ms <= half.p99_ms
    assert half.server_cpu > 0 and half.client_cpu > 0
    table = markdown(run, {"cpus": "2", "python": "3", "platform": "linux"})
    assert "| 1 | single | collector | 4 |" in table
    assert list(tmp_path.iterdir()) == []  # data directories are removed
