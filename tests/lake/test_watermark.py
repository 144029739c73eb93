"""The durable watermark: readers never see bytes the writer has not acknowledged."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from collector.control.settings import Settings
from collector.errors import StorageUnavailable
from collector.lake import layout, watermark
from collector.lake.segments import read_records, recover
from collector.lake.writer import Lake, LakeEntry
from collector.profile.projector import Projector
from collector.profile.replay import replay
from tests.profile.lakefixture import EVENTS, dump, ids, iso, make_control, rows, settings_for

NOW_MS = int(time.time() * 1000)  # writers file lines under the current hour


def event(n: int) -> LakeEntry:
    doc: dict[str, Any] = {
        "xactionId": f"x{n}",
        "receivedTimeMs": NOW_MS + n,
        "inletId": "f" * 64,
        "datasetId": EVENTS,
        "schemaId": "https://ns.adobe.com/xdm/context/experienceevent",
        "orgId": "DEMO@AdobeOrg",
        "header": {"datasetId": EVENTS},
        "entity": {"_id": f"e{n}", "timestamp": iso(NOW_MS + n), "identityMap": ids(ECID="p1")},
    }
    return LakeEntry(EVENTS, NOW_MS, orjson.dumps(doc))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = settings_for(tmp_path)
    make_control(s)
    return s


def test_a_reader_in_the_middle_of_a_failed_write_sees_only_acknowledged_lines(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = Lake(settings)
    projector = Projector(settings)
    lake.append_blocking([event(1), event(2)])

    real_write = os.write
    calls = 0

    def short_write_then_enospc(fd: int, data: Any) -> int:
        """Write one whole line and part of the next, let the projector poll, then fail."""
        nonlocal calls
        calls += 1
        if calls == 1:
            cut = bytes(data).index(b"\n") + 10
            return real_write(fd, data[:cut])
        projector.step()  # a projector polling between the short write and the error
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", short_write_then_enospc)
    with pytest.raises(StorageUnavailable):
        lake.append_blocking([event(3), event(4)])
    monkeypatch.setattr(os, "write", real_write)
    assert calls == 2
    lake.append_blocking([event(5), event(6)])  # acknowledged after the failure
    lake.close()
    projector.catch_up()
    projector.close()

    applied = rows(settings, "SELECT event_id FROM experience_events ORDER BY seq")
    assert applied == [("e1",), ("e2",), ("e5",), ("e6",)]
    # Every acknowledged line is in the lake, nothing else, and every line parses.
    in_lake = [
        str(r["xactionId"]) for p in layout.segments(settings.lake_dir) for r in read_records(p)
    ]
    assert sorted(in_lake) == ["x1", "x2", "x5", "x6"]
    before = dump(settings.profile_db_path)
    replay(settings)
    after = dump(settings.profile_db_path)
    assert {k: v for k, v in before.items() if k != "checkpoints"} == {
        k: v for k, v in after.items() if k != "checkpoints"
    }


def test_watermark_is_published_after_the_sync_and_removed_on_close(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = Lake(settings)
    seen: list[int | None] = []
    real_sync = os.fdatasync

    def sync(fd: int) -> None:
        (segment,) = layout.segments(settings.lake_dir)
        seen.append(watermark.read(segment))  # not yet advanced: readers stop before
        real_sync(fd)

    monkeypatch.setattr(os, "fdatasync", sync)
    lake.append_blocking([event(1)])
    (segment,) = layout.segments(settings.lake_dir)
    assert seen == [0]
    assert watermark.read(segment) == segment.stat().st_size
    lake.close()
    assert watermark.read(segment) is None  # closed: durable to its end
    assert not layout.watermark_path(segment).exists()


def test_a_failed_sync_seals_the_segment_and_the_next_group_opens_another(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = Lake(settings)
    lake.append_blocking([event(1)])

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", broken)
    with pytest.raises(StorageUnavailable):
        lake.append_blocking([event(2)])
    monkeypatch.undo()
    lake.append_blocking([event(3)])
    lake.close()
    first, second = layout.segments(settings.lake_dir)
    assert [r["xactionId"] for r in read_records(first)] == ["x1"]  # acked bytes kept
    assert [r["xactionId"] for r in read_records(second)] == ["x3"]
    assert watermark.read(first) is None and watermark.read(second) is None


def test_recovery_cuts_a_dead_writers_segment_back_to_its_watermark(settings: Settings) -> None:
    lake = Lake(settings)
    lake.append_blocking([event(1)])
    (segment,) = layout.segments(settings.lake_dir)
    acked = segment.stat().st_size
    with segment.open("ab") as f:  # written, never acknowledged, then the process died
        f.write(event(2).line + b"\n")
    for seg in lake._segments.values():  # the process dies: its locks go, files stay
        os.close(seg.fd)
    lake._segments.clear()
    assert watermark.read(segment) == acked
    (torn,) = recover(settings.lake_dir)
    assert torn.offset == acked and segment.stat().st_size == acked
    assert watermark.read(segment) is None
    assert [r["xactionId"] for r in read_records(segment)] == ["x1"]


def test_a_half_written_watermark_is_never_believed() -> None:
    good = watermark.encode(1234)
    assert watermark.decode(good) == 1234
    torn = watermark.encode(1000)[:18] + good[18:]  # old digits, then new ones
    assert watermark.decode(torn) is None
    assert watermark.decode(b"") is None
