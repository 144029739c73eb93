"""The lake writer: durability, group commit, rotation, failure, and torn-tail recovery."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import orjson
import pytest

from collector.control.settings import Settings
from collector.errors import StorageUnavailable
from collector.lake.segments import read_lines, read_records, recover, segments
from collector.lake.writer import Lake, LakeEntry

HOUR = 3_600_000
T0 = 1_795_000_000_000 // HOUR * HOUR  # an hour boundary in 2026


def line(n: int, pad: int = 0) -> bytes:
    return orjson.dumps({"n": n, "pad": "x" * pad})


def entry(n: int, at: int = T0, partition: str = "ds", pad: int = 0) -> LakeEntry:
    return LakeEntry(partition, at, line(n, pad))


def test_layout_and_contents(tmp_path: Path) -> None:
    lake = Lake(Settings(data_dir=tmp_path), writer_id="w1")
    lake.append_blocking([entry(1), entry(2), entry(3, partition="_failed/ds")])
    lake.close()
    (seg,) = segments(tmp_path / "lake", "ds")
    rel = seg.relative_to(tmp_path / "lake")
    assert rel.parts[:3] == ("ds", "date=2026-11-18", "hour=11")
    assert rel.name.startswith("part-") and rel.name.endswith("-w1.jsonl")
    assert [r["n"] for r in read_records(seg)] == [1, 2]
    (failed,) = segments(tmp_path / "lake", "_failed/ds")
    assert [r["n"] for r in read_records(failed)] == [3]


def test_concurrent_appends_share_fsyncs(tmp_path: Path) -> None:
    lake = Lake(Settings(data_dir=tmp_path))

    async def main() -> None:
        await asyncio.gather(*(lake.append([entry(i)]) for i in range(2000)))

    asyncio.run(main())
    lake.close()
    (seg,) = segments(tmp_path / "lake")
    assert sorted(int(str(r["n"])) for r in read_records(seg)) == list(range(2000))
    assert lake.lines_written == 2000
    assert lake.groups < 2000  # requests waiting during a sync went out together


def test_hour_partitions_and_size_rotation(tmp_path: Path) -> None:
    lake = Lake(Settings(data_dir=tmp_path, segment_max_bytes=1000))
    for i in range(30):
        lake.append_blocking([entry(i, pad=100)])
    lake.append_blocking([entry(99, at=T0 + HOUR)])
    lake.close()
    found = segments(tmp_path / "lake", "ds")
    assert len(found) > 3
    assert all(p.stat().st_size <= 1000 + 150 for p in found)
    assert found[-1].parent.name == "hour=12"
    numbers = [r["n"] for p in found for r in read_records(p)]
    assert numbers == [*range(30), 99]  # file order is write order


def test_storage_not_writable_is_503(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "ds").write_text("a file where a directory should be")
    lake = Lake(Settings(data_dir=tmp_path))
    with pytest.raises(StorageUnavailable) as info:
        lake.append_blocking([entry(1)])
    assert info.value.status == 503
    lake.append_blocking([entry(2, partition="other")])  # other partitions still work
    lake.close()


def test_append_after_close_is_refused(tmp_path: Path) -> None:
    lake = Lake(Settings(data_dir=tmp_path))
    lake.close()
    with pytest.raises(StorageUnavailable):
        lake.append_blocking([entry(1)])


def test_recover_cuts_a_torn_tail_and_reports_it(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    lake = Lake(Settings(data_dir=tmp_path))
    lake.append_blocking([entry(1), entry(2)])
    lake.close()
    (seg,) = segments(root)
    whole = seg.stat().st_size
    with seg.open("ab") as f:
        f.write(b'{"n": 3, "pad": "tor')
    (tail,) = recover(root)
    assert tail.offset == whole and tail.length == len(b'{"n": 3, "pad": "tor')
    assert seg.stat().st_size == whole
    assert (root / tail.saved_as).read_bytes() == b'{"n": 3, "pad": "tor'
    report = [orjson.loads(x) for x in (root / "_torn" / "report.jsonl").read_bytes().splitlines()]
    assert report[0]["segment"] == tail.segment
    assert recover(root) == []  # idempotent
    # later appends start on a clean line
    lake = Lake(Settings(data_dir=tmp_path))
    lake.append_blocking([entry(4)])
    lake.close()
    assert [r["n"] for p in segments(root) for r in read_records(p)] == [1, 2, 4]


def test_recover_leaves_live_segments_alone(tmp_path: Path) -> None:
    lake = Lake(Settings(data_dir=tmp_path))
    lake.append_blocking([entry(1)])
    (seg,) = segments(tmp_path / "lake")
    with seg.open("ab") as f:
        f.write(b'{"being written')
    assert recover(tmp_path / "lake") == []
    lake.close()


def test_read_lines_stops_at_the_last_newline(tmp_path: Path) -> None:
    path = tmp_path / "part-1-x.jsonl"
    path.write_bytes(b'{"a":1}\n{"a":2}\n{"a":')
    lines = list(read_lines(path))
    assert lines == [(8, b'{"a":1}'), (16, b'{"a":2}')]
    assert list(read_lines(path, 8)) == [(16, b'{"a":2}')]


def test_read_records_skips_garbage(tmp_path: Path) -> None:
    path = tmp_path / "part-1-x.jsonl"
    path.write_bytes(b'{"a":1}\ngarbage\n{"a":2}\n')
    assert [r["a"] for r in read_records(path)] == [1, 2]


def test_write_mode_does_not_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(os, "fdatasync", lambda fd: calls.append(fd))
    lake = Lake(Settings(data_dir=tmp_path, ack_mode="write"))
    lake.append_blocking([entry(1)])
    lake.close()
    assert calls == []
    lake = Lake(Settings(data_dir=tmp_path, ack_mode="fsync"))
    lake.append_blocking([entry(2)])
    lake.close()
    assert len(calls) == 1
